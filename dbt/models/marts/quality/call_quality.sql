{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    One row per call with RTCP reports: time-weighted means over each leg's reports, the worst
    leg (lowest mean MOS), and the dominant impairment (docs/quality.md). Floats are rounded to 4
    decimals so both targets give the same digits.
-#}

with

legs as (

    -- time-weighted means per leg (shared with the call_quality_legs mart)
    select * from {{ ref('int_call_quality_legs') }}

),

ranked_legs as (

    select
        *,
        row_number() over (partition by tenant_id, call_id order by mean_mos, leg) as rank_worst

    from legs

),

calls as (

    select
        tenant_id,
        call_id,
        min(codec) as codec,
        cast(sum(reports) as bigint) as reports,
        cast(count(*) as bigint) as legs,
        sum(mean_mos * seconds) / sum(seconds) as mean_mos,
        sum(mean_r_factor * seconds) / sum(seconds) as mean_r_factor,
        sum(mean_loss_pct * seconds) / sum(seconds) as mean_loss_pct,
        sum(mean_jitter_ms * seconds) / sum(seconds) as mean_jitter_ms,
        sum(mean_one_way_delay_ms * seconds) / sum(seconds) as mean_one_way_delay_ms,
        case
            when sum(rtt_seconds) > 0 then sum(rtt_weighted_sum) / sum(rtt_seconds)
        end as mean_rtt_ms,
        min(min_mos) as min_mos

    from legs
    group by tenant_id, call_id

),

worst as (

    select
        tenant_id,
        call_id,
        leg as worst_leg,
        mean_mos as worst_leg_mos,
        dominant_impairment

    from ranked_legs
    where rank_worst = 1

),

final as (

    select
        calls.tenant_id as tenant_id,
        calls.call_id as call_id,
        calls.codec as codec,
        calls.reports as reports,
        calls.legs as legs,
        {{ round_ties_up('calls.mean_mos') }} as mos,
        {{ round_ties_up('calls.mean_r_factor') }} as r_factor,
        worst.worst_leg as worst_leg,
        {{ round_ties_up('worst.worst_leg_mos') }} as worst_leg_mos,
        {{ round_ties_up('calls.min_mos') }} as min_report_mos,
        {{ round_ties_up('calls.mean_loss_pct') }} as loss_pct,
        {{ round_ties_up('calls.mean_jitter_ms') }} as jitter_ms,
        {{ round_ties_up('calls.mean_rtt_ms') }} as rtt_ms,
        {{ round_ties_up('calls.mean_one_way_delay_ms') }} as one_way_delay_ms,
        {{ as_boolean('calls.mean_mos < 3.6') }} as is_poor,
        -- the worst leg's (int_call_quality_legs)
        worst.dominant_impairment as dominant_impairment

    from calls
    inner join worst
        on calls.tenant_id = worst.tenant_id
        and calls.call_id = worst.call_id

)

select * from final
