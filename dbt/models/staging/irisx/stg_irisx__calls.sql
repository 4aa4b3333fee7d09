with

source as (

    select * from {{ source('lake', 'call') }}

),

deduplicated as (

    -- A re-delivered CDR repeats its event_id: keep the latest emission, then every column
    -- breaks ties so that the kept row never depends on file or thread order.
    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'call'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        call_id,
        customer_id,
        carrier_id,
        trunk_id,
        route_id,
        queue_id,
        agent_id,
        campaign_id,

        -- call attributes
        direction,
        from_number,
        to_number,
        hangup_cause,
        cast(q850_code as integer) as q850_code,
        cast(sip_code as integer) as sip_code,
        codec,
        currency,

        -- durations
        cast(billsec as bigint) as billsec,
        cast(hold_sec as bigint) as hold_sec,
        cast(wrapup_sec as bigint) as wrapup_sec,
        cast(queue_wait_sec as double) as queue_wait_sec,
        cast(pdd_ms as bigint) as pdd_ms,

        -- money
        cost,
        price,

        -- timestamps (UTC)
        start_at,
        answer_at,
        end_at,
        occurred_at,

        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
