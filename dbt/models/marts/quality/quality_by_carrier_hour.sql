{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#- Call quality per tenant, carrier and UTC hour of the call's start (macro quality_rollup). -#}

{{ quality_rollup('carrier_id', dbt.date_trunc('hour', 'calls.start_at'), 'hour_start') }}
