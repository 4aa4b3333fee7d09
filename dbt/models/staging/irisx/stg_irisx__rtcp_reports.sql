with

source as (

    select * from {{ source('lake', 'rtcp') }}

),

deduplicated as (

    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'rtcp'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        call_id,
        leg,
        cast(ssrc as bigint) as ssrc,

        codec,
        cast(clock_rate_hz as integer) as clock_rate_hz,

        -- loss
        cast(fraction_lost as integer) as fraction_lost,
        -- fraction_lost is loss since the last report in 1/256 units
        cast(fraction_lost as double) * 100 / 256 as fraction_lost_pct,
        cast(cumulative_lost as bigint) as cumulative_lost,
        cast(extended_highest_seq as bigint) as extended_highest_seq,

        -- delay: RTCP jitter is in RTP timestamp units, i.e. 1/clock_rate seconds
        cast(interarrival_jitter as bigint) as interarrival_jitter,
        cast(interarrival_jitter as double) * 1000 / clock_rate_hz as jitter_ms,
        cast(rtt_ms as double) as rtt_ms,

        -- RTCP XR VoIP metrics (RFC 3611)
        cast(xr_burst_density as integer) as xr_burst_density,
        cast(xr_gap_density as integer) as xr_gap_density,
        cast(xr_burst_duration_ms as integer) as xr_burst_duration_ms,
        cast(xr_gap_duration_ms as integer) as xr_gap_duration_ms,
        cast(xr_end_system_delay_ms as integer) as xr_end_system_delay_ms,
        -- 127 is RFC 3611's "unavailable"
        cast(nullif(xr_r_factor, 127) as integer) as xr_r_factor,
        cast(xr_mos_lq as double) as xr_mos_lq,
        cast(xr_mos_cq as double) as xr_mos_cq,

        occurred_at,
        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
