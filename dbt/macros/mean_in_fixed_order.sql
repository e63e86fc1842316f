{#- The mean of a float column added up in the order of `order_by`, so the same rows give the
    same last bit whatever order DuckDB's threads aggregate them in (avg() and sum() of
    doubles do not). -#}
{% macro mean_in_fixed_order(value, order_by) -%}
    {{ return(adapter.dispatch('mean_in_fixed_order', 'stv')(value, order_by)) }}
{%- endmacro %}

{% macro default__mean_in_fixed_order(value, order_by) -%}
    (list_sum(list({{ value }} order by {{ order_by }})) / count({{ value }}))
{%- endmacro %}


{#- Spark: the (order key, value) pairs sorted, their values added up in that order. -#}
{% macro spark__mean_in_fixed_order(value, order_by) -%}
    (aggregate(
        filter(
            transform(
                array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ value }}))),
                s -> s.v
            ),
            v -> v is not null
        ),
        cast(0 as double),
        (total, v) -> total + v
    ) / count({{ value }}))
{%- endmacro %}
