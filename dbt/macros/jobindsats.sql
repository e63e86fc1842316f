{#- A measure label without the group the portal puts before it
    ("Forventet og faktisk antal ...: Faktisk antal" -> "Faktisk antal"). -#}
{% macro jobindsats_measure_name(label) -%}
    trim(regexp_extract({{ label }}, '([^:]*)$', 1))
{%- endmacro %}
