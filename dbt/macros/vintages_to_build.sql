{#
    The register vintages an incremental model keyed on vintage has to (re)build: all of them
    on a full build; otherwise those that are new, whose files were reloaded or whose reference
    data changed since the model last built them (their inputs_fingerprint differs from the one
    stored with the model's rows).
#}
{% macro vintages_to_build() %}
    select v.*
    from {{ ref('int_register_vintages') }} as v
    {% if is_incremental() %}
    where not exists (
        select 1
        from (select distinct vintage, inputs_fingerprint from {{ this }}) as built
        where built.vintage = v.vintage
            and built.inputs_fingerprint is not distinct from v.inputs_fingerprint
    )
    {% endif %}
{% endmacro %}

{# Rows of vintages that no longer exist (every file of the vintage replaced) go too. #}
{% macro delete_vanished_vintages() %}
    {{ return(adapter.dispatch('delete_vanished_vintages', 'stv')()) }}
{% endmacro %}

{% macro default__delete_vanished_vintages() %}
    delete from {{ this }}
    where vintage not in (select vintage from {{ ref('int_register_vintages') }})
{% endmacro %}

{# Spark deletes no rows from Parquet tables; there each vintage is a partition, dropped whole. #}
{% macro spark__delete_vanished_vintages() %}
    {%- if execute -%}
        {%- set vanished = run_query(
            'select distinct cast(vintage as string) as vintage from ' ~ this
            ~ ' where vintage not in (select vintage from ' ~ ref('int_register_vintages') ~ ')'
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
