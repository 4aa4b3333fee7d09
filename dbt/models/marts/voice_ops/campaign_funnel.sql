{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Outbound campaign funnel per tenant, campaign, dial mode and UTC day of the attempt:
    attempts -> dialled (not blocked by DNC or curfew) -> live connects (a person answered:
    connected to an agent, or abandoned by a predictive dialer with no free agent) -> connected
    to an agent -> right-party contacts -> conversions. Abandonment against the 3 % rule (US TSR,
    16 CFR 310.4(b)(4)(i); Ofcom's is the same 3 %): abandoned / live connects, per day and over
    the 30 days ending that day, the period the rule is measured on.
-#}

with

attempts as (

    select
        tenant_id,
        campaign_id,
        dial_mode,
        cast({{ dbt.date_trunc('day', 'occurred_at') }} as date) as attempt_date,
        dial_outcome,
        is_right_party_contact,
        is_converted,
        disposition

    from {{ ref('stg_irisx__campaign_attempts') }}

),

daily as (

    select
        tenant_id,
        campaign_id,
        dial_mode,
        attempt_date,
        cast(count(*) as bigint) as attempts,
        cast(sum(case when dial_outcome not in ('blocked_dnc', 'blocked_curfew') then 1 else 0 end)
            as bigint) as dialled,
        cast(sum(case when dial_outcome in ('answered', 'abandoned') then 1 else 0 end)
            as bigint) as live_connects,
        cast(sum(case when dial_outcome = 'answered' then 1 else 0 end) as bigint)
            as agent_connects,
        cast(sum(case when is_right_party_contact then 1 else 0 end) as bigint)
            as right_party_contacts,
        cast(sum(case when is_converted then 1 else 0 end) as bigint) as conversions,
        cast(sum(case when dial_outcome = 'abandoned' then 1 else 0 end) as bigint) as abandoned,
        cast(sum(case when dial_outcome = 'voicemail' then 1 else 0 end) as bigint) as voicemail,
        cast(sum(case when dial_outcome = 'no_answer' then 1 else 0 end) as bigint) as no_answer,
        cast(sum(case when dial_outcome = 'busy' then 1 else 0 end) as bigint) as busy,
        cast(sum(case when dial_outcome = 'failed' then 1 else 0 end) as bigint) as failed,
        cast(sum(case when dial_outcome = 'blocked_dnc' then 1 else 0 end) as bigint)
            as dnc_blocks,
        cast(sum(case when dial_outcome = 'blocked_curfew' then 1 else 0 end) as bigint)
            as curfew_blocks,
        cast(count(disposition) as bigint) as dispositioned

    from attempts
    group by tenant_id, campaign_id, dial_mode, attempt_date

),

trailing_30_days as (

    select
        current_day.tenant_id as tenant_id,
        current_day.campaign_id as campaign_id,
        current_day.dial_mode as dial_mode,
        current_day.attempt_date as attempt_date,
        cast(sum(window_day.abandoned) as bigint) as abandoned_30d,
        cast(sum(window_day.live_connects) as bigint) as live_connects_30d

    from daily as current_day
    inner join daily as window_day
        on current_day.tenant_id = window_day.tenant_id
        and current_day.campaign_id = window_day.campaign_id
        and current_day.dial_mode = window_day.dial_mode
        and window_day.attempt_date <= current_day.attempt_date
        and window_day.attempt_date > {{ dbt.dateadd('day', -30, 'current_day.attempt_date') }}
    group by
        current_day.tenant_id, current_day.campaign_id, current_day.dial_mode,
        current_day.attempt_date

),

final as (

    select
        daily.tenant_id as tenant_id,
        daily.campaign_id as campaign_id,
        daily.dial_mode as dial_mode,
        daily.attempt_date as attempt_date,
        daily.attempts as attempts,
        daily.dialled as dialled,
        daily.live_connects as live_connects,
        daily.agent_connects as agent_connects,
        daily.right_party_contacts as right_party_contacts,
        daily.conversions as conversions,
        daily.abandoned as abandoned,
        daily.voicemail as voicemail,
        daily.no_answer as no_answer,
        daily.busy as busy,
        daily.failed as failed,
        daily.dnc_blocks as dnc_blocks,
        daily.curfew_blocks as curfew_blocks,
        daily.dispositioned as dispositioned,
        {{ safe_divide('daily.live_connects', 'daily.dialled') }} as contact_rate,
        {{ safe_divide('daily.conversions', 'daily.right_party_contacts') }}
            as conversion_rate,
        {{ safe_divide('daily.abandoned', 'daily.live_connects') }} as abandonment_rate,
        trailing_30_days.abandoned_30d as abandoned_30d,
        trailing_30_days.live_connects_30d as live_connects_30d,
        {{ safe_divide('trailing_30_days.abandoned_30d', 'trailing_30_days.live_connects_30d') }}
            as abandonment_rate_30d,
        {{ as_boolean(
            "daily.dial_mode = 'predictive' and trailing_30_days.abandoned_30d * 100"
            ~ " > trailing_30_days.live_connects_30d * 3"
        ) }} as exceeds_3pct_rule

    from daily
    inner join trailing_30_days
        on daily.tenant_id = trailing_30_days.tenant_id
        and daily.campaign_id = trailing_30_days.campaign_id
        and daily.dial_mode = trailing_30_days.dial_mode
        and daily.attempt_date = trailing_30_days.attempt_date

)

select * from final
