{#-
    dbt-spark 1.11's `method: session` passes a seed's empty cells as the text 'None' (its
    bindings quote every value), so an empty target_group became 'None' on Spark. The rows go
    in as literals instead: an empty cell is NULL, as on DuckDB. (dbt looks for a dispatched
    macro in the root project first, so this replaces dbt-spark's.)
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for column in agate_table.column_names -%}
        {%- do types.append(column_override.get(column, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for row in agate_table.rows -%}
        {%- set values = [] -%}
        {%- for value in row -%}
            {%- if value is none -%}
                {%- do values.append('cast(null as ' ~ types[loop.index0] ~ ')') -%}
            {%- else -%}
                {%- set text = (value | string).replace('\\', '\\\\').replace("'", "\\'") -%}
                {%- do values.append("cast('" ~ text ~ "' as " ~ types[loop.index0] ~ ")") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
    {%- endfor -%}
    {%- if not rows -%}
        {{ return('') }}
    {%- endif -%}
    {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}
