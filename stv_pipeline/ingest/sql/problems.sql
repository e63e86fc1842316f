{#-
    Every problem of a file parsed by its contract, one row each: the row a user sees
    (row_number), the column, the value as delivered and the rule broken. `typed` is the parse
    (each contract column with its delivered text as <column>__raw); `checks` are the rules a
    row is checked against on its own, in the order a row's problems are reported
    (check_order), and the repeated keys come after them. A column reported_as another is
    named by that column's cell (the measure label of a wide table's value).
-#}
{%- set union = joiner('union all by name') %}
{%- for check in checks %}
{{ union() }}
select
    {{ row_column }} as row_number,
    {% if check.reported_as -%}
    coalesce({{ (check.reported_as ~ '__raw') | ident }}, {{ check.column | literal }})
    {%- else -%}
    {{ check.column | literal }}
    {%- endif %} as column_name,
    {{ (check.column ~ '__raw') | ident }} as value,
    {{ check.rule | literal }} as rule,
    {{ loop.index }} as check_order
from {{ typed }}
where {{ check.where }}
{%- endfor %}
{%- if unique_key %}
{%- set reported = unique_key | last %}
{%- set partition = unique_key + (['extract_date'] if by_vintage else []) %}
{{ union() }}
select
    {{ row_column }} as row_number,
    {{ reported | literal }} as column_name,
    {{ (reported ~ '__raw') | ident }} as value,
    {{ (unique_rule ~ ' (repeats an earlier row of this file)') | literal }} as rule,
    {{ checks | length + 1 }} as check_order
from (
    select
        *,
        row_number() over (
            partition by {{ partition | map('ident') | join(', ') }}
            order by {{ row_column }}
        ) as occurrence
    from {{ typed }}
    where {% for key in unique_key %}{{ key | ident }} is not null{{ ' and ' if not loop.last }}{% endfor %}
)
where occurrence > 1
{%- if by_vintage %}
{{ union() }}
select
    t.{{ row_column }} as row_number,
    {{ reported | literal }} as column_name,
    t.{{ (reported ~ '__raw') | ident }} as value,
    {{ (unique_rule ~ ' (already loaded from another file of this vintage)') | literal }} as rule,
    {{ checks | length + 2 }} as check_order
from {{ typed }} as t
where {% for key in unique_key %}t.{{ key | ident }} is not null and {% endfor %}exists (
    select 1
    from raw.{{ source }} as r
    where {% for key in unique_key %}r.{{ key | ident }} = t.{{ key | ident }} and {% endfor -%}
        r.extract_date = t.extract_date
        and r._file_name <> {{ file_name | literal }}
)
{%- endif %}
{%- endif %}
