{#- Fails for every non-null value with a fractional part. -#}
{% test whole_number(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} <> round({{ column_name }})
{% endtest %}
