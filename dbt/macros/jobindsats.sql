{#- A Jobindsats dimension value that totals the others of its dimension ("Køn i alt",
    "Ydelsesgrupper i alt"), DESIGN §2.7; the loader flags rows holding one as is_total. -#}
{% macro jobindsats_is_total_value(value) -%}
    {{ matches_pattern('lower(trim(' ~ value ~ '))', "'(^| )i alt$'") }}
{%- endmacro %}

{#- A measure label without the group the portal puts before it
    ("Forventet og faktisk antal ...: Faktisk antal" -> "Faktisk antal"). -#}
{% macro jobindsats_measure_name(label) -%}
    trim(regexp_extract({{ label }}, '([^:]*)$', 1))
{%- endmacro %}

{#- A month still open to revision on `as_of`: it ended less than `maturity_months` before
    (DESIGN §3.6, the maturity rule of the evaluation settings). -#}
{% macro month_is_immature(month, maturity_months, as_of) -%}
    ({{ add_months('last_day(' ~ month ~ ')', maturity_months) }} > {{ as_of }})
{%- endmacro %}
