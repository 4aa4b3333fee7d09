{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#- Call quality per tenant, answering agent and UTC day of the call's start (macro quality_rollup). -#}

{{ quality_rollup('agent_id', 'calls.call_date', 'call_date') }}
