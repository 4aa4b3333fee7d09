{#-
    One row per call and leg with RTCP reports from a codec with E-model values: time-weighted
    means over the leg's reports (weight: seconds since the leg's previous report), unrounded,
    and the leg's dominant impairment. call_quality combines the legs of a call (its diagnosis
    is its worst leg's); call_quality_legs publishes them rounded.
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

diagnosed as (

    select
        *,
        -- the largest of the leg's impairments; delay splits into jitter (the de-jitter buffer)
        -- and network (RTT/2) by which part is larger; under 5 R points: none
        case
            when greatest(mean_idd, mean_loss_impairment, codec_impairment) < 5 then 'none'
            when mean_loss_impairment >= mean_idd
                and mean_loss_impairment >= codec_impairment then 'loss'
            when mean_idd >= codec_impairment
                then case
                    when mean_jitter_buffer_ms > mean_network_delay_ms then 'jitter'
                    else 'delay'
                end
            else 'codec'
        end as dominant_impairment

    from legs

)

select * from diagnosed
