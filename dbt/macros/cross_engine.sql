{#-
    SQL that DuckDB and Apache Spark write or read differently (DESIGN §7). The models call
    these macros; default__ is DuckDB's SQL, spark__ Spark's. SQL both engines read alike
    (max_by, percentile_cont(q) within group (order by x), count(*) filter (where ...),
    qualify, date ± integer days, `nulls last` spelt out) is written in the models directly.
-#}

{#- Whole days from one date to a later one (negative when `later` is earlier). Spark's
    date - date is an interval, DuckDB's an integer. -#}
{% macro days_between(earlier, later) -%}
    {{ return(adapter.dispatch('days_between', 'stv')(earlier, later)) }}
{%- endmacro %}

{% macro default__days_between(earlier, later) -%}
    cast(({{ later }}) - ({{ earlier }}) as integer)
{%- endmacro %}

{% macro spark__days_between(earlier, later) -%}
    datediff({{ later }}, {{ earlier }})
{%- endmacro %}


{#- A date n calendar months later, as a date; a day past the end of the shorter month becomes
    its last day (2019-01-31 + 1 month = 2019-02-28) on both engines. -#}
{% macro add_months(d, n) -%}
    {{ return(adapter.dispatch('add_months', 'stv')(d, n)) }}
{%- endmacro %}

{% macro default__add_months(d, n) -%}
    cast({{ d }} + to_months(cast({{ n }} as integer)) as date)
{%- endmacro %}

{% macro spark__add_months(d, n) -%}
    add_months({{ d }}, cast({{ n }} as integer))
{%- endmacro %}


{#- Month boundaries crossed from one date to another (DuckDB's datediff('month', ...)): 31 Jan
    to 1 Feb is 1. Plain arithmetic reads the same on every engine. -#}
{% macro calendar_months_between(earlier, later) -%}
    ((year({{ later }}) * 12 + month({{ later }})) - (year({{ earlier }}) * 12 + month({{ earlier }})))
{%- endmacro %}


{#- A number as text with a fixed number of decimals, with its sign when `signed`
    ('+1.5', '-0.25'). NULL stays NULL. -#}
{% macro fixed_decimals_text(x, decimals, signed=false) -%}
    {{ return(adapter.dispatch('fixed_decimals_text', 'stv')(x, decimals, signed)) }}
{%- endmacro %}

{#- The same in Danish notation (decimal comma), for text a Danish reader reads. -#}
{% macro decimal_comma_text(x, decimals, signed=false) -%}
    replace({{ fixed_decimals_text(x, decimals, signed) }}, '.', ',')
{%- endmacro %}

{% macro default__fixed_decimals_text(x, decimals, signed) -%}
    case when ({{ x }}) is not null
        then format('{:{{ "+" if signed }}.{{ decimals }}f}', cast({{ x }} as double)) end
{%- endmacro %}

{% macro spark__fixed_decimals_text(x, decimals, signed) -%}
    case when ({{ x }}) is not null
        then format_string('%{{ "+" if signed }}.{{ decimals }}f', cast({{ x }} as double)) end
{%- endmacro %}


{#- Text values joined in sorted order, each once when `distinct`, of the rows meeting `where`
    when given (string_agg(... order by ...) is DuckDB's). -#}
{% macro sorted_string_agg(text, separator, distinct=false, where=none) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'stv')(text, separator, distinct, where)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(text, separator, distinct, where) -%}
    string_agg({{ 'distinct ' if distinct }}{{ text }}, {{ separator }} order by {{ text }})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__sorted_string_agg(text, separator, distinct, where) -%}
    array_join(
        array_sort(
            {{ 'collect_set' if distinct else 'collect_list' }}({{ text }})
            {%- if where is not none %} filter (where {{ where }}){% endif %}
        ),
        {{ separator }}
    )
{%- endmacro %}


{#- A whole row of a relation alias as one text (to fingerprint a table's content); the text
    differs between engines, but on each engine it changes exactly when the row does. -#}
{% macro row_as_text(alias) -%}
    {{ return(adapter.dispatch('row_as_text', 'stv')(alias)) }}
{%- endmacro %}

{% macro default__row_as_text(alias) -%}
    cast({{ alias }} as varchar)
{%- endmacro %}

{% macro spark__row_as_text(alias) -%}
    to_json(struct({{ alias }}.*))
{%- endmacro %}


{#- Does a text contain a match of a regular expression (anywhere, not only whole)? -#}
{% macro matches_pattern(text, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'stv')(text, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__matches_pattern(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern }})
{%- endmacro %}


{#- The text value of a key of a JSON object (NULL when absent). -#}
{% macro json_text_value(json, key) -%}
    {{ return(adapter.dispatch('json_text_value', 'stv')(json, key)) }}
{%- endmacro %}

{% macro default__json_text_value(json, key) -%}
    ({{ json }} ->> {{ key }})
{%- endmacro %}

{% macro spark__json_text_value(json, key) -%}
    get_json_object({{ json }}, concat('$[\'', {{ key }}, '\']'))
{%- endmacro %}


{#- The keys of a JSON object, as an array. -#}
{% macro json_object_keys(json) -%}
    {{ return(adapter.dispatch('json_object_keys', 'stv')(json)) }}
{%- endmacro %}

{% macro default__json_object_keys(json) -%}
    json_keys({{ json }})
{%- endmacro %}

{% macro spark__json_object_keys(json) -%}
    json_object_keys({{ json }})
{%- endmacro %}


{#- A text split at a (plain, one-character) separator, as an array. -#}
{% macro split_text(text, separator) -%}
    {{ return(adapter.dispatch('split_text', 'stv')(text, separator)) }}
{%- endmacro %}

{% macro default__split_text(text, separator) -%}
    string_split({{ text }}, {{ separator }})
{%- endmacro %}

{% macro spark__split_text(text, separator) -%}
    split({{ text }}, {{ separator }})
{%- endmacro %}


{#- After a FROM item: one row per element of an array, as `alias.column`
    (DuckDB: `, unnest(...) as alias (column)`; Spark: `lateral view explode(...)`). -#}
{% macro one_row_per_element(array, alias, column) -%}
    {{ return(adapter.dispatch('one_row_per_element', 'stv')(array, alias, column)) }}
{%- endmacro %}

{% macro default__one_row_per_element(array, alias, column) -%}
    , unnest({{ array }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__one_row_per_element(array, alias, column) -%}
    lateral view explode({{ array }}) {{ alias }} as {{ column }}
{%- endmacro %}



{#- The value of the row that sorts first on `keys` (a list of expressions, ascending; negate
    a number to sort it descending). DuckDB's first(... order by ...) is its own. -#}
{% macro value_of_first(value, keys) -%}
    {{ return(adapter.dispatch('value_of_first', 'stv')(value, keys)) }}
{%- endmacro %}

{% macro default__value_of_first(value, keys) -%}
    arg_min({{ value }}, row({{ keys | join(', ') }}))
{%- endmacro %}

{% macro spark__value_of_first(value, keys) -%}
    min_by({{ value }}, struct({{ keys | join(', ') }}))
{%- endmacro %}
