{#- A date's position on a month scale: every month is one unit whatever its length, and a
    day within a month counts as its share of that month (DESIGN §3.5). -#}
{% macro month_position(d) -%}
    (year({{ d }}) * 12 + month({{ d }}) - 1
     + cast(day({{ d }}) - 1 as double) / day(last_day({{ d }}))
    )
{%- endmacro %}
