{#- A month still open to revision on `as_of`: it ended less than `maturity_months` before
    (DESIGN §3.6, the maturity rule of the evaluation settings). Every model that calls a month
    provisional for being recent asks this macro. -#}
{% macro month_is_immature(month, maturity_months, as_of) -%}
    ({{ add_months('last_day(' ~ month ~ ')', maturity_months) }} > {{ as_of }})
{%- endmacro %}
