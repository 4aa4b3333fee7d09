{#-
    The E-model per RTCP report (docs/quality.md). Loss over the report's interval from the
    cumulative counters (RFC 3550: lost and expected packets since the leg's previous report),
    or the report's own fraction_lost for a leg's first report or after a counter reset; jitter
    from RTP timestamp units; one-way delay Ta = RTT/2 (0 when the report has no RTT) + de-jitter
    buffer max(2 × jitter, one packet) + one packet + the codec's look-ahead. A report's weight is
    the seconds since the leg's previous report (5 s, RFC 3550's minimum interval, for the first),
    so call means are time-weighted.
-#}

with

reports as (

    select * from {{ ref('stg_irisx__rtcp_reports') }}

),

with_previous as (

    select
        *,
        {{ previous_in_partition('cumulative_lost', 'tenant_id, call_id, leg', 'occurred_at, event_id') }}
            as previous_cumulative_lost,
        {{ previous_in_partition('extended_highest_seq', 'tenant_id, call_id, leg', 'occurred_at, event_id') }}
            as previous_extended_highest_seq,
        {{ previous_in_partition(epoch_us('occurred_at'), 'tenant_id, call_id, leg', 'occurred_at, event_id') }}
            as previous_report_us

    from reports

),

interval_measures as (

    select
        event_id,
        tenant_id,
        call_id,
        leg,
        codec,
        occurred_at,
        case
            when previous_report_us is null then cast(5 as double)
            else cast({{ epoch_us('occurred_at') }} - previous_report_us as double) / 1000000
        end as weight_s,
        case
            when previous_extended_highest_seq is null
                or extended_highest_seq <= previous_extended_highest_seq
                then fraction_lost_pct
            else greatest(cast(0 as double), least(cast(100 as double),
                cast(cumulative_lost - previous_cumulative_lost as double) * 100
                / cast(extended_highest_seq - previous_extended_highest_seq as double)))
        end as loss_pct,
        jitter_ms,
        rtt_ms,
        {{ emodel_codec_value('codec', 'ie') }} as ie,
        {{ emodel_codec_value('codec', 'bpl') }} as bpl,
        {{ emodel_codec_value('codec', 'packet_ms') }} as packet_ms,
        {{ emodel_codec_value('codec', 'lookahead_ms') }} as lookahead_ms

    from with_previous

),

delays as (

    select
        *,
        coalesce(rtt_ms, 0) / 2 as network_delay_ms,
        greatest(2 * jitter_ms, packet_ms) as jitter_buffer_ms,
        coalesce(rtt_ms, 0) / 2 + greatest(2 * jitter_ms, packet_ms) + packet_ms + lookahead_ms
            as one_way_delay_ms

    from interval_measures

),

impairments as (

    select
        *,
        {{ emodel_idd('one_way_delay_ms') }} as idd,
        {{ emodel_ie_eff('ie', 'bpl', 'loss_pct') }} as ie_eff

    from delays

),

scored as (

    select
        *,
        93.2 - idd - ie_eff as r_factor,
        {{ emodel_mos('93.2 - idd - ie_eff') }} as mos

    from impairments

)

select * from scored
