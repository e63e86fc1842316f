{#-
    The rules the loaders apply to a delivered file and the models apply again, each written
    once. The models call these macros; the loaders define DuckDB macros of the same names from
    this file (stv_pipeline/ingest/sql/macros.sql renders it with Jinja), so a register row the
    loader checked against its week's Monday meets the same Monday in dbt.
    Why here, and not as a DuckDB macro in the warehouse or a calendar seed: the models also run
    on Apache Spark (DESIGN §7), which has no DuckDB macros, and a seed would turn arithmetic on
    every person-week into a join. So these macros use no dbt context (no adapter.dispatch, no
    ref, no var): plain SQL that DuckDB and Spark read alike.
-#}

{#- The Monday of an ISO week written 'YYYY-Www': week 1 is the week holding 4 January. -#}
{% macro iso_week_monday(week) -%}
    (cast(date_trunc('week', make_date(cast(substr({{ week }}, 1, 4) as integer), 1, 4)) as date)
     + (cast(substr({{ week }}, 7, 2) as integer) - 1) * 7)
{%- endmacro %}

{#- The month (its first day) an ISO week belongs to, for any day of the week: the month of
    the week's Thursday (DESIGN §3.1), so each week is in exactly one month. -#}
{% macro week_month(day) -%}
    cast(date_trunc('month', cast(date_trunc('week', {{ day }}) as date) + 3) as date)
{%- endmacro %}

{#- A Jobindsats dimension value that totals the others of its dimension ("Køn i alt",
    "Ydelsesgrupper i alt"), DESIGN §2.7: the loader flags a row holding one as is_total, and
    the mapping of figures to metrics keeps every unmapped dimension at its total. -#}
{% macro jobindsats_is_total_value(value) -%}
    (lower(trim({{ value }})) = 'i alt' or lower(trim({{ value }})) like '% i alt')
{%- endmacro %}
