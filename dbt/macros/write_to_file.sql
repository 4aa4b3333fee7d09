{#-
    Overrides dbt-duckdb's write_to_file (used by the `external` materialization).
    On an empty result dbt-duckdb pads the table with one all-NULL row to keep its column types
    and filters it out again in its own read view. Readers of the published Parquet file (the API,
    BI tools) read the file directly and would see that phantom row, so it is dropped here: a row
    whose every column is NULL carries no information. The column types survive in the Parquet
    schema of a zero-row file.
-#}
{% macro write_to_file(relation, location, options) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {% call statement('write_to_file') -%}
        copy (
            select * from {{ relation }}
            where not (
                {%- for column in columns %}
                {{ adapter.quote(column.name) }} is null{{ ' and' if not loop.last }}
                {%- endfor %}
            )
        ) to '{{ location }}' ({{ options }})
    {%- endcall %}
{%- endmacro %}
