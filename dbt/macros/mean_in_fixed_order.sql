{#- The mean of a float column added up in the order of `order_by`, so the same rows give the
    same last bit whatever order DuckDB's threads aggregate them in (avg() and sum() of
    doubles do not). -#}
{% macro mean_in_fixed_order(value, order_by) -%}
    (list_sum(list({{ value }} order by {{ order_by }})) / count({{ value }}))
{%- endmacro %}
