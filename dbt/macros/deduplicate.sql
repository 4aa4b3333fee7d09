{#-
    One row per `partition_by` from `relation` (a relation or CTE name): the first row in
    `order_by` order. `order_by` is a list of sort expressions; make it total (end it with columns
    that tell any two rows apart) so the choice never depends on file or thread order.
-#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('deduplicate', 'irisx')(relation, partition_by, order_by)) }}
{%- endmacro %}

{#- QUALIFY: DuckDB, Snowflake, BigQuery, Databricks. -#}
{% macro default__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by {{ order_by | join(', ') }}
    ) = 1
{%- endmacro %}

{#- ClickHouse keeps the first row per key with LIMIT BY (no window, works on every version). -#}
{% macro clickhouse__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by | join(', ') }}
    limit 1 by {{ partition_by }}
{%- endmacro %}
