{#-
    Month helpers of the revenue models (docs/revenue.md). A month is the date of its first day.
-#}

{#-
    The last month the revenue marts report: the month of var `as_of_date` (ISO date; tests pin
    it), else of today's UTC date. Spines stop here: a month that has not started yet has no MRR.
-#}
{% macro revenue_as_of_month() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is none -%}
        {%- set day = 'cast(' ~ dbt.current_timestamp() ~ ' as date)' -%}
    {%- else -%}
        {#- YAML reads an unquoted 2024-05-30 as a date: `string` gives its ISO form either way. -#}
        {%- set iso = modules.datetime.date.fromisoformat(as_of | string).isoformat() -%}
        {%- set day = "cast('" ~ iso ~ "' as date)" -%}
    {%- endif -%}
    cast({{ dbt.date_trunc('month', day) }} as date)
{%- endmacro %}

{#- `month` shifted by `count` months (an expression), as a date on every target. -#}
{% macro add_months(month, count) -%}
    cast({{ dbt.dateadd('month', count, month) }} as date)
{%- endmacro %}

{#- A relation with one bigint column `n` holding 0 .. count - 1. Dispatched. -#}
{% macro integer_series(count) -%}
    {{ return(adapter.dispatch('integer_series', 'irisx')(count)) }}
{%- endmacro %}

{#- DuckDB (and PostgreSQL): generate_series, end inclusive. -#}
{% macro default__integer_series(count) -%}
    select cast(generated.n as bigint) as n
    from generate_series(0, {{ count - 1 }}) as generated(n)
{%- endmacro %}

{#- ClickHouse: the numbers() table function (UInt64, cast so arithmetic stays signed). -#}
{% macro clickhouse__integer_series(count) -%}
    select cast(number as bigint) as n
    from numbers({{ count }})
{%- endmacro %}
