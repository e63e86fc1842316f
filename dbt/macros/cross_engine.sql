{#-
    SQL that DuckDB and Apache Spark write or read differently (DESIGN §7). The models call
    these macros; default__ is DuckDB's SQL, spark__ Spark's. SQL both engines read alike
    (max_by, percentile_cont(q) within group (order by x), count(*) filter (where ...),
    qualify, date ± integer days, `nulls last` spelt out) is written in the models directly.
-#}

{#- ISO day of the week: Monday 1 ... Sunday 7 (Spark's weekday() counts Monday 0). -#}
{% macro iso_day_of_week(d) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'stv')(d)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(d) -%}
    cast(isodow({{ d }}) as integer)
{%- endmacro %}

{% macro spark__iso_day_of_week(d) -%}
    cast(extract(dayofweek_iso from {{ d }}) as integer)
{%- endmacro %}


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

{% macro default__fixed_decimals_text(x, decimals, signed) -%}
    case when ({{ x }}) is not null
        then format('{:{{ "+" if signed }}.{{ decimals }}f}', cast({{ x }} as double)) end
{%- endmacro %}

{% macro spark__fixed_decimals_text(x, decimals, signed) -%}
    case when ({{ x }}) is not null
        then format_string('%{{ "+" if signed }}.{{ decimals }}f', cast({{ x }} as double)) end
{%- endmacro %}


{#- Text values joined in sorted order (string_agg(... order by ...) is DuckDB's). -#}
{% macro sorted_string_agg(text, separator) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'stv')(text, separator)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(text, separator) -%}
    string_agg({{ text }}, {{ separator }} order by {{ text }})
{%- endmacro %}

{% macro spark__sorted_string_agg(text, separator) -%}
    array_join(array_sort(collect_list({{ text }})), {{ separator }})
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
