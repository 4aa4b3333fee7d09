{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Per tenant, queue and 15-minute interval (UTC): the queue's calls (by the interval of their
    start_at) and the time its agents spent staffed and busy in that interval. Ratios are one
    division of exact sums, so both targets give the same digits.
-#}
{%- set interval_key = ['tenant_id', 'queue_id', 'interval_start_us'] %}

{%- set interval_seconds = 900 -%}

with

queued_calls as (

    select
        tenant_id,
        queue_id,
        {{ bucket_start_us(epoch_us('start_at'), interval_seconds) }} as interval_start_us,
        is_answered,
        is_abandoned,
        answered_within_20s,
        handle_sec,
        -- queue waits to the millisecond as decimals: sums of doubles differ between engines
        cast(cast(queue_wait_sec as decimal(18, 3)) as decimal(18, 3)) as queue_wait_sec

    from {{ ref('fct_calls') }}
    where is_queued

),

call_totals as (

    select
        tenant_id,
        queue_id,
        interval_start_us,
        cast(count(*) as bigint) as offered,
        cast(count(handle_sec) as bigint) as handled,
        cast(sum(case when is_abandoned then 1 else 0 end) as bigint) as abandoned,
        cast(sum(case when answered_within_20s then 1 else 0 end) as bigint)
            as answered_within_20s,
        cast(sum(case when handle_sec is not null then queue_wait_sec end) as decimal(18, 3))
            as handled_wait_sec,
        cast(sum(handle_sec) as bigint) as total_handle_sec

    from queued_calls
    group by tenant_id, queue_id, interval_start_us

),

agent_totals as (

    select
        tenant_id,
        queue_id,
        interval_start_us,
        cast(sum(
            case when agent_state in ('ready', 'on_call', 'wrap_up') then duration_us else 0 end
        ) as bigint) as staffed_us,
        cast(sum(
            case when agent_state in ('on_call', 'wrap_up') then duration_us else 0 end
        ) as bigint) as busy_us

    from {{ ref('int_agent_interval_time') }}
    where queue_id is not null
    group by tenant_id, queue_id, interval_start_us

),

interval_keys as (
    {{ union_keys(['call_totals', 'agent_totals'], interval_key) }}
),

final as (

    select
        interval_keys.tenant_id as tenant_id,
        interval_keys.queue_id as queue_id,
        {{ timestamp_from_us('interval_keys.interval_start_us') }} as interval_start,
        cast({{ dbt.date_trunc('day', timestamp_from_us('interval_keys.interval_start_us')) }}
            as date) as interval_date,
        cast(coalesce(call_totals.offered, 0) as bigint) as offered,
        cast(coalesce(call_totals.handled, 0) as bigint) as handled,
        cast(coalesce(call_totals.abandoned, 0) as bigint) as abandoned,
        cast(coalesce(call_totals.answered_within_20s, 0) as bigint) as answered_within_20s,
        {{ safe_divide('coalesce(call_totals.answered_within_20s, 0)',
                       'coalesce(call_totals.offered, 0)') }} as service_level_20s,
        {{ safe_divide('coalesce(call_totals.abandoned, 0)',
                       'coalesce(call_totals.offered, 0)') }} as abandon_rate,
        {{ safe_divide('call_totals.handled_wait_sec', 'coalesce(call_totals.handled, 0)') }}
            as asa_sec,
        {{ safe_divide('call_totals.total_handle_sec', 'coalesce(call_totals.handled, 0)') }}
            as aht_sec,
        {{ safe_divide('coalesce(agent_totals.staffed_us, 0)', '1000000') }} as staffed_sec,
        {{ safe_divide('coalesce(agent_totals.busy_us, 0)', '1000000') }} as busy_sec,
        {{ safe_divide('coalesce(agent_totals.busy_us, 0)',
                       'coalesce(agent_totals.staffed_us, 0)') }} as occupancy

    from interval_keys
    {{ left_join_on_keys('interval_keys', 'call_totals', interval_key) }}
    {{ left_join_on_keys('interval_keys', 'agent_totals', interval_key) }}

)

select * from final
