{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Why service level missed, per tenant, queue and planned 15-minute interval: the gap between
    the plan's service level and the achieved one, split by sequential substitution through
    Erlang C (docs/wfm.md):

        sl_plan              = SL(planned calls, planned AHT, planned agents)
        sl_actual_volume     = SL(offered,       planned AHT, planned agents)   volume_effect
        sl_actual_aht        = SL(offered,       actual AHT,  planned agents)   aht_effect
        sl_present_agents    = SL(offered,       actual AHT,  present agents)   absence_effect
        sl_staffed_agents    = SL(offered,       actual AHT,  staffed agents)   adherence_effect
        achieved             = answered within 20 s / offered                   other_effect

    Each effect is the step's change of SL, so they add up to achieved - sl_plan. Fractional
    agents (time-averaged) take SL linearly interpolated between the whole agent counts around
    them.
-#}

{%- set interval_seconds = 900 -%}
{%- set answer_within_sec = 20 -%}
{%- set max_agents = var('wfm_max_agents', 300) -%}
{%- set keys = ['tenant_id', 'queue_id', 'interval_start_us'] -%}
{#- The substitution steps above: (scenario, calls, AHT, agents) columns of interval_inputs. -#}
{%- set scenarios = [
    ('plan', 'planned_calls', 'planned_aht_sec', 'planned_agents'),
    ('actual_volume', 'offered', 'planned_aht_sec', 'planned_agents'),
    ('actual_aht', 'offered', 'actual_aht_sec', 'planned_agents'),
    ('present_agents', 'offered', 'actual_aht_sec', 'present_agents'),
    ('staffed_agents', 'offered', 'actual_aht_sec', 'staffed_agents'),
] -%}

with

planned_intervals as (

    select * from {{ ref('stg_irisx__wfm_plan_intervals') }}

),

queue_actuals as (

    select
        tenant_id,
        queue_id,
        {{ epoch_us('interval_start') }} as interval_start_us,
        offered,
        answered_within_20s,
        aht_sec,
        staffed_sec

    from {{ ref('queue_interval_stats') }}

),

-- Agents logged in (any state) while their schedule said open: present as planned.
present_time as (

    select
        tenant_id,
        queue_id,
        interval_start_us,
        cast(sum(
            case when scheduled_activity = 'open' then duration_us else 0 end
        ) as bigint) as present_us

    from {{ ref('int_agent_interval_time') }}
    where queue_id is not null
    group by tenant_id, queue_id, interval_start_us

),

interval_inputs as (

    select
        planned_intervals.tenant_id as tenant_id,
        planned_intervals.queue_id as queue_id,
        planned_intervals.interval_start_us as interval_start_us,
        planned_intervals.planned_calls as planned_calls,
        planned_intervals.planned_aht_sec as planned_aht_sec,
        planned_intervals.planned_agents as planned_agents,
        planned_intervals.planned_service_level as planned_service_level,
        cast(coalesce(queue_actuals.offered, 0) as bigint) as offered,
        cast(coalesce(queue_actuals.answered_within_20s, 0) as bigint) as answered_within_20s,
        -- no handled call: no evidence against the planned AHT
        coalesce(queue_actuals.aht_sec, planned_intervals.planned_aht_sec) as actual_aht_sec,
        cast(coalesce(present_time.present_us, 0) as double) / {{ interval_seconds * 1000000 }}
            as present_agents,
        cast(coalesce(queue_actuals.staffed_sec, 0) as double) / {{ interval_seconds }}
            as staffed_agents

    from planned_intervals
    {{ left_join_on_keys('planned_intervals', 'queue_actuals', keys) }}
    {{ left_join_on_keys('planned_intervals', 'present_time', keys) }}

),

scenarios as (

    {{ erlang_c_scenarios('interval_inputs', keys, scenarios, interval_seconds) }}

),

-- Each scenario at the two whole agent counts around its agents, weighted for interpolation.
neighbours as (

    select 0 as step
    union all
    select 1 as step

),

evaluations as (

    select
        scenarios.tenant_id as tenant_id,
        scenarios.queue_id as queue_id,
        scenarios.interval_start_us as interval_start_us,
        scenarios.scenario as scenario,
        scenarios.load as load,
        scenarios.aht_sec as aht_sec,
        cast(floor(scenarios.agents) as bigint) + neighbours.step as whole_agents,
        case
            when neighbours.step = 0 then 1 - (scenarios.agents - floor(scenarios.agents))
            else scenarios.agents - floor(scenarios.agents)
        end as weight

    from scenarios
    cross join neighbours

),

term_indexes as (

    {{ integer_series(max_agents + 1) }}

),

inverse_blocking as (

    select
        evaluations.tenant_id as tenant_id,
        evaluations.queue_id as queue_id,
        evaluations.interval_start_us as interval_start_us,
        evaluations.scenario as scenario,
        evaluations.whole_agents as whole_agents,
        sum({{ erlang_b_inverse_term('evaluations.load', 'evaluations.whole_agents',
                                     'term_indexes.n') }}) as inverse_blocking

    from evaluations
    cross join term_indexes
    where evaluations.load > 0
        and evaluations.whole_agents > evaluations.load
        and evaluations.whole_agents <= {{ max_agents }}
        and term_indexes.n <= evaluations.whole_agents
    group by
        evaluations.tenant_id,
        evaluations.queue_id,
        evaluations.interval_start_us,
        evaluations.scenario,
        evaluations.whole_agents

),

evaluated as (

    select
        evaluations.tenant_id as tenant_id,
        evaluations.queue_id as queue_id,
        evaluations.interval_start_us as interval_start_us,
        evaluations.scenario as scenario,
        evaluations.weight as weight,
        case
            -- beyond the term series (var wfm_max_agents): unknown rather than wrong
            when evaluations.load > 0
                and evaluations.whole_agents > evaluations.load
                and evaluations.whole_agents > {{ max_agents }} then null
            else {{ erlang_c_service_level(
                'evaluations.load', 'evaluations.whole_agents',
                'inverse_blocking.inverse_blocking', 'evaluations.aht_sec', answer_within_sec
            ) }}
        end as service_level

    from evaluations
    {{ left_join_on_keys('evaluations', 'inverse_blocking',
                         keys + ['scenario', 'whole_agents']) }}

),

-- Two rows per scenario (a sum of two doubles is the same in either order on both targets);
-- null when either neighbour is beyond the term series.
scenario_levels as (

    select
        tenant_id,
        queue_id,
        interval_start_us,
        scenario,
        case
            when count(service_level) = 2 then round(sum(weight * service_level), 6)
        end as service_level

    from evaluated
    group by tenant_id, queue_id, interval_start_us, scenario

),

levels as (

    select
        tenant_id,
        queue_id,
        interval_start_us,
        max(case when scenario = 'plan' then service_level end) as sl_plan,
        max(case when scenario = 'actual_volume' then service_level end) as sl_actual_volume,
        max(case when scenario = 'actual_aht' then service_level end) as sl_actual_aht,
        max(case when scenario = 'present_agents' then service_level end) as sl_present_agents,
        max(case when scenario = 'staffed_agents' then service_level end) as sl_staffed_agents

    from scenario_levels
    group by tenant_id, queue_id, interval_start_us

),

final as (

    select
        interval_inputs.tenant_id as tenant_id,
        interval_inputs.queue_id as queue_id,
        {{ timestamp_from_us('interval_inputs.interval_start_us') }} as interval_start,
        cast({{ dbt.date_trunc('day', timestamp_from_us('interval_inputs.interval_start_us')) }}
            as date) as interval_date,
        interval_inputs.planned_calls as planned_calls,
        interval_inputs.planned_aht_sec as planned_aht_sec,
        interval_inputs.planned_agents as planned_agents,
        interval_inputs.planned_service_level as planned_service_level,
        interval_inputs.offered as offered,
        round(interval_inputs.actual_aht_sec, 6) as actual_aht_sec,
        round(interval_inputs.present_agents, 6) as present_agents,
        round(interval_inputs.staffed_agents, 6) as staffed_agents,
        round({{ safe_divide('interval_inputs.answered_within_20s', 'interval_inputs.offered') }},
              6) as achieved_service_level,
        levels.sl_plan as sl_plan,
        levels.sl_actual_volume as sl_actual_volume,
        levels.sl_actual_aht as sl_actual_aht,
        levels.sl_present_agents as sl_present_agents,
        levels.sl_staffed_agents as sl_staffed_agents,
        round({{ safe_divide('interval_inputs.answered_within_20s', 'interval_inputs.offered') }}
              - levels.sl_plan, 6) as service_level_gap,
        round(levels.sl_actual_volume - levels.sl_plan, 6) as volume_effect,
        round(levels.sl_actual_aht - levels.sl_actual_volume, 6) as aht_effect,
        round(levels.sl_present_agents - levels.sl_actual_aht, 6) as absence_effect,
        round(levels.sl_staffed_agents - levels.sl_present_agents, 6) as adherence_effect,
        round(levels.sl_staffed_agents - levels.sl_actual_aht, 6) as staffing_effect,
        round({{ safe_divide('interval_inputs.answered_within_20s', 'interval_inputs.offered') }}
              - levels.sl_staffed_agents, 6) as other_effect

    from interval_inputs
    inner join levels
        on interval_inputs.tenant_id = levels.tenant_id
        and interval_inputs.queue_id = levels.queue_id
        and interval_inputs.interval_start_us = levels.interval_start_us

)

select * from final
