{#
    The register vintages an incremental model keyed on vintage has to (re)build: all of them
    on a full build; otherwise those that are new, whose files were reloaded or whose reference
    data changed since the model last built them (their fingerprint differs from the one
    stored with the model's rows).
    snapshot='benefits': the benefits snapshots instead, for a model of the benefits weeks
    alone; its `vintage` is the snapshot's extract date, built once however many vintages
    pair it with an earnings snapshot.
#}
{% macro vintages_to_build(snapshot=none) %}
    {%- set vintages -%}
        {%- if snapshot == 'benefits' -%}
            (
                select distinct
                    benefits_vintage as vintage,
                    benefits_fingerprint as inputs_fingerprint
                from {{ ref('int_register_vintages') }}
                where benefits_vintage is not null
            )
        {%- else -%}
            {{ ref('int_register_vintages') }}
        {%- endif -%}
    {%- endset %}
    select v.*
    from {{ vintages }} as v
    {% if is_incremental() %}
    where not exists (
        select 1
        from (select distinct vintage, inputs_fingerprint from {{ this }}) as built
        where built.vintage = v.vintage
            and built.inputs_fingerprint is not distinct from v.inputs_fingerprint
    )
    {% endif %}
{% endmacro %}

{# Rows of vintages (or benefits snapshots) that no longer exist (every file replaced) go too. #}
{% macro delete_vanished_vintages(snapshot=none) %}
    {{ return(adapter.dispatch('delete_vanished_vintages', 'stv')(snapshot)) }}
{% endmacro %}

{% macro existing_vintages(snapshot) %}
    {%- set column = 'benefits_vintage' if snapshot == 'benefits' else 'vintage' -%}
    select {{ column }} from {{ ref('int_register_vintages') }} where {{ column }} is not null
{% endmacro %}

{% macro default__delete_vanished_vintages(snapshot) %}
    delete from {{ this }}
    where vintage not in ({{ existing_vintages(snapshot) }})
{% endmacro %}

{# Spark deletes no rows from Parquet tables; there each vintage is a partition, dropped whole. #}
{% macro spark__delete_vanished_vintages(snapshot) %}
    {%- if execute -%}
        {%- set vanished = run_query(
            'select distinct cast(vintage as string) as vintage from ' ~ this
            ~ ' where vintage not in (' ~ existing_vintages(snapshot) ~ ')'
        ) -%}
        {%- for row in vanished.rows -%}
            {%- do run_query(
                'alter table ' ~ this ~ " drop if exists partition (vintage = date '"
                ~ row[0] ~ "')"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{% endmacro %}

{# This dbt invocation, as a text literal: the by_vintage models stamp the rows they build with
   it, so that their data tests check what this invocation built (a vintage is built whole by
   one invocation; the others were checked when they were built). #}
{% macro this_invocation() %}'{{ invocation_id }}'{% endmacro %}
