{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#- ClickHouse: incremental by day (macros/daily_window.sql); a run replaces its days whole. -#}
{{ config(**daily_incremental_config(
    unique_key='call_date',
    order_by=['call_date', 'tenant_id', 'direction'],
)) }}

with

calls as (

    select * from {{ ref('fct_calls') }}
    {{ daily_window_filter('call_date') }}

),

daily_totals as (

    select
        tenant_id,
        call_date,
        direction,
        cast(count(*) as bigint) as offered,
        cast(sum(case when is_answered then 1 else 0 end) as bigint) as answered,
        cast(sum(case when is_queued then 1 else 0 end) as bigint) as queued,
        cast(sum(case when is_abandoned then 1 else 0 end) as bigint) as abandoned,
        cast(sum(case when answered_within_20s then 1 else 0 end) as bigint)
            as answered_within_20s,
        cast(sum(billsec) as bigint) as total_billsec,
        -- handle_sec is null unless an agent answered: count/sum skip those calls
        cast(count(handle_sec) as bigint) as handled,
        cast(sum(handle_sec) as bigint) as total_handle_sec

    from calls
    group by tenant_id, call_date, direction

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        call_date,
        cast(direction as varchar) as direction,
        offered,
        answered,
        queued,
        abandoned,
        answered_within_20s,
        total_billsec,
        {{ safe_divide('answered', 'offered') }} as asr,
        {{ safe_divide('total_billsec', 'answered') }} as acd_sec,
        {{ safe_divide('total_handle_sec', 'handled') }} as aht_sec,
        {{ safe_divide('abandoned', 'queued') }} as abandon_rate,
        {{ safe_divide('answered_within_20s', 'queued') }} as service_level_20s

    from daily_totals

)

select * from final
