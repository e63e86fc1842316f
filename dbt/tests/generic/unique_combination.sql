{#- Fails with one row per key that occurs more than once (no dbt packages are reachable here,
    so this stands in for dbt_utils.unique_combination_of_columns). With
    built_by_this_invocation, only the rows this dbt invocation built (a by_vintage model's
    `built_by_invocation`): for a key holding the vintage, the others were checked when built;
    `dbt test --vars '{recheck_every_vintage: true}'` checks them all again. -#}
{% test unique_combination(model, columns, built_by_this_invocation=false) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
{% if built_by_this_invocation and not var('recheck_every_vintage', false) %}
where built_by_invocation = {{ this_invocation() }}
{% endif %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
