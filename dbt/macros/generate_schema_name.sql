{#- Put models in the schema their folder names (staging, intermediate, marts, reference), not
    dbt's default "<target schema>_<custom>", so analysts query marts.success_criteria_monthly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
