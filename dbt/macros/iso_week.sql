{#- The Monday of an ISO week written 'YYYY-Www' (week 1 is the week holding January 4th). -#}
{% macro iso_week_monday(week) -%}
    (make_date(cast(substr({{ week }}, 1, 4) as integer), 1, 4)
     - ({{ iso_day_of_week('make_date(cast(substr(' ~ week ~ ', 1, 4) as integer), 1, 4)') }} - 1)
     + (cast(substr({{ week }}, 7, 2) as integer) - 1) * 7)
{%- endmacro %}
