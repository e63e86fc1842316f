{#-
    Models this project no longer has: dbt leaves their tables in the warehouse, where nothing
    maintains them any more. A person-level one would keep the rows of files since replaced
    or withdrawn (DESIGN §6), so each run drops them first.
    int_person_months: a table of every vintage's person-months until the person-months were
    kept once per benefits snapshot (int_benefit_person_months).
    On Spark each run folder is built afresh, and there is nothing to drop.
-#}
{% macro drop_retired_models() -%}
    {%- set retired = [('intermediate', 'int_person_months')] -%}
    {%- if execute and target.type != 'spark' -%}
        {%- for schema, name in retired -%}
            {%- set relation = adapter.get_relation(
                database=target.database, schema=schema, identifier=name
            ) -%}
            {%- if relation is not none -%}
                {%- do adapter.drop_relation(relation) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
