{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Per tenant, agent and UTC day: calls handled and their handle time (fct_calls), and the
    agent's state time (int_agent_interval_time: 15-minute intervals never cross midnight UTC, so
    each interval's time belongs to one day): staffed, busy, not ready, occupancy and schedule
    adherence.
-#}
{%- set agent_day_key = ['tenant_id', 'agent_id', 'activity_date'] %}

with

handled_calls as (

    select
        tenant_id,
        agent_id,
        call_date as activity_date,
        cast(count(*) as bigint) as handled,
        cast(sum(billsec) as bigint) as talk_sec,
        cast(sum(hold_sec) as bigint) as hold_sec,
        cast(sum(wrapup_sec) as bigint) as wrapup_sec,
        cast(sum(handle_sec) as bigint) as total_handle_sec

    from {{ ref('fct_calls') }}
    where agent_id is not null and handle_sec is not null
    group by tenant_id, agent_id, call_date

),

state_time as (

    select
        tenant_id,
        agent_id,
        cast({{ dbt.date_trunc('day', timestamp_from_us('interval_start_us')) }} as date)
            as activity_date,
        agent_state,
        scheduled_activity,
        duration_us,
        -- in adherence: open time spent available or working, break time spent not ready
        case
            when scheduled_activity = 'open'
                and agent_state in ('ready', 'on_call', 'wrap_up') then duration_us
            when scheduled_activity in ('break', 'lunch', 'training')
                and agent_state = 'not_ready' then duration_us
            else 0
        end as adherent_us,
        case
            when scheduled_activity in ('open', 'break', 'lunch', 'training') then duration_us
            else 0
        end as scheduled_us

    from {{ ref('int_agent_interval_time') }}

),

state_totals as (

    select
        tenant_id,
        agent_id,
        activity_date,
        cast(sum(
            case when agent_state in ('ready', 'on_call', 'wrap_up') then duration_us else 0 end
        ) as bigint) as staffed_us,
        cast(sum(
            case when agent_state in ('on_call', 'wrap_up') then duration_us else 0 end
        ) as bigint) as busy_us,
        cast(sum(case when agent_state = 'not_ready' then duration_us else 0 end) as bigint)
            as not_ready_us,
        cast(sum(adherent_us) as bigint) as adherent_us,
        cast(sum(scheduled_us) as bigint) as scheduled_us

    from state_time
    group by tenant_id, agent_id, activity_date

),

agent_days as (
    {{ union_keys(['handled_calls', 'state_totals'], agent_day_key) }}
),

final as (

    select
        agent_days.tenant_id as tenant_id,
        agent_days.agent_id as agent_id,
        agent_days.activity_date as activity_date,
        cast(coalesce(handled_calls.handled, 0) as bigint) as handled,
        cast(coalesce(handled_calls.talk_sec, 0) as bigint) as talk_sec,
        cast(coalesce(handled_calls.hold_sec, 0) as bigint) as hold_sec,
        cast(coalesce(handled_calls.wrapup_sec, 0) as bigint) as wrapup_sec,
        {{ safe_divide('handled_calls.total_handle_sec', 'coalesce(handled_calls.handled, 0)') }}
            as aht_sec,
        {{ safe_divide('coalesce(state_totals.staffed_us, 0)', '1000000') }} as staffed_sec,
        {{ safe_divide('coalesce(state_totals.busy_us, 0)', '1000000') }} as busy_sec,
        {{ safe_divide('coalesce(state_totals.not_ready_us, 0)', '1000000') }} as not_ready_sec,
        {{ safe_divide('coalesce(state_totals.busy_us, 0)',
                       'coalesce(state_totals.staffed_us, 0)') }} as occupancy,
        {{ safe_divide('coalesce(state_totals.adherent_us, 0)',
                       'coalesce(state_totals.scheduled_us, 0)') }} as adherence

    from agent_days
    {{ left_join_on_keys('agent_days', 'handled_calls', agent_day_key) }}
    {{ left_join_on_keys('agent_days', 'state_totals', agent_day_key) }}

)

select * from final
