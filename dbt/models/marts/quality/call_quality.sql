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

reports as (

    select * from {{ ref('int_rtcp_report_quality') }}
    where r_factor is not null

),

legs as (

    select
        tenant_id,
        call_id,
        leg,
        min(codec) as codec,
        cast(count(*) as bigint) as reports,
        sum(weight_s) as seconds,
        sum(mos * weight_s) / sum(weight_s) as mean_mos,
        sum(r_factor * weight_s) / sum(weight_s) as mean_r_factor,
        sum(loss_pct * weight_s) / sum(weight_s) as mean_loss_pct,
        sum(jitter_ms * weight_s) / sum(weight_s) as mean_jitter_ms,
        sum(one_way_delay_ms * weight_s) / sum(weight_s) as mean_one_way_delay_ms,
        sum(coalesce(rtt_ms, 0) * weight_s) as rtt_weighted_sum,
        sum(case when rtt_ms is not null then weight_s else 0 end) as rtt_seconds,
        sum(idd * weight_s) / sum(weight_s) as mean_idd,
        sum((ie_eff - ie) * weight_s) / sum(weight_s) as mean_loss_impairment,
        max(ie) as codec_impairment,
        sum(jitter_buffer_ms * weight_s) / sum(weight_s) as mean_jitter_buffer_ms,
        sum(network_delay_ms * weight_s) / sum(weight_s) as mean_network_delay_ms,
        min(mos) as min_mos

    from reports
    group by tenant_id, call_id, leg

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
        mean_idd,
        mean_loss_impairment,
        codec_impairment,
        mean_jitter_buffer_ms,
        mean_network_delay_ms

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
        round(calls.mean_mos, 4) as mos,
        round(calls.mean_r_factor, 4) as r_factor,
        worst.worst_leg as worst_leg,
        round(worst.worst_leg_mos, 4) as worst_leg_mos,
        round(calls.min_mos, 4) as min_report_mos,
        round(calls.mean_loss_pct, 4) as loss_pct,
        round(calls.mean_jitter_ms, 4) as jitter_ms,
        round(calls.mean_rtt_ms, 4) as rtt_ms,
        round(calls.mean_one_way_delay_ms, 4) as one_way_delay_ms,
        {{ as_boolean('calls.mean_mos < 3.6') }} as is_poor,
        -- the largest of the worst leg's impairments; delay splits into jitter (the de-jitter
        -- buffer) and network (RTT/2) by which part is larger; under 5 R points: none
        case
            when greatest(worst.mean_idd, worst.mean_loss_impairment, worst.codec_impairment) < 5
                then 'none'
            when worst.mean_loss_impairment >= worst.mean_idd
                and worst.mean_loss_impairment >= worst.codec_impairment then 'loss'
            when worst.mean_idd >= worst.codec_impairment
                then case
                    when worst.mean_jitter_buffer_ms > worst.mean_network_delay_ms then 'jitter'
                    else 'delay'
                end
            else 'codec'
        end as dominant_impairment

    from calls
    inner join worst
        on calls.tenant_id = worst.tenant_id
        and calls.call_id = worst.call_id

)

select * from final
