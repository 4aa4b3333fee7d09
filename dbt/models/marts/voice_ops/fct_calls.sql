{#- ClickHouse: incremental by day (macros/daily_window.sql); a call is replaced by its call_id. -#}
{{ config(**daily_incremental_config(
    unique_key='call_id',
    order_by=['call_date', 'tenant_id', 'call_id'],
)) }}

with

calls as (

    select * from {{ ref('int_calls_deduplicated') }}

),

call_outcomes as (

    select
        *,
        {{ as_boolean('answer_at is not null') }} as is_answered,
        {{ as_boolean('queue_id is not null') }} as is_queued

    from calls

),

final as (

    select
        -- ids and grain
        call_id,
        tenant_id,
        direction,
        cast({{ dbt.date_trunc('day', 'start_at') }} as date) as call_date,

        -- timeline (UTC)
        start_at,
        answer_at,
        end_at,

        -- outcome flags
        is_answered,
        is_queued,
        {{ as_boolean('is_queued and not is_answered') }} as is_abandoned,
        {{ as_boolean(
            'is_queued and is_answered and queue_wait_sec is not null and queue_wait_sec <= 20'
        ) }} as answered_within_20s,

        -- durations (seconds)
        billsec,
        hold_sec,
        wrapup_sec,
        -- handle time counts only calls an agent answered: talk + hold + after-call work
        case
            when is_answered and agent_id is not null
                then cast(billsec + hold_sec + wrapup_sec as bigint)
        end as handle_sec,
        queue_wait_sec,

        -- signalling
        hangup_cause,
        q850_code,
        sip_code,

        -- dimensions
        customer_id,
        carrier_id,
        route_id,
        codec,
        queue_id,
        agent_id,
        campaign_id,
        pdd_ms,

        -- rated money
        cost,
        price,
        currency

    from call_outcomes

)

select * from final
{{ daily_window_filter('call_date') }}
