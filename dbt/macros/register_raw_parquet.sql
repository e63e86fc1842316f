{#-
    On Spark the raw tables are the loaders' Parquet copies (stv_pipeline/ingest/parquet_copy.py)
    in <STV_SPARK_DIR>/raw/<table>/: each dbt run registers them afresh, so Spark sees the
    vintages of the latest load (a partitioned table's partitions are recovered). On
    DuckDB the loaders write the raw schema itself and there is nothing to do.
-#}
{% macro register_raw_parquet() -%}
    {{ return(adapter.dispatch('register_raw_parquet', 'stv')()) }}
{%- endmacro %}

{% macro default__register_raw_parquet() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_parquet() -%}
    {%- if execute -%}
        {%- set folder = env_var('STV_SPARK_DIR', '../data/spark') ~ '/raw' -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- do run_query('drop table if exists raw.' ~ source.name) -%}
            {%- do run_query(
                'create table raw.' ~ source.name
                ~ " using parquet location '" ~ folder ~ '/' ~ source.name ~ "'"
            ) -%}
            {#- a table over partition folders holds no partition until they are recovered -#}
            {%- set described = run_query('describe table raw.' ~ source.name) -%}
            {%- if '# Partition Information' in described.columns[0].values() -%}
                {%- do run_query('msck repair table raw.' ~ source.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
