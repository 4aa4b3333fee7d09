{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#- kpi_series_5m rolled up to 60-minute UTC buckets, 'sum' KPIs on a regular grid (macro kpi_series_rollup). -#}

{{ kpi_series_rollup(60) }}
