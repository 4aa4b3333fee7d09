with

source as (

    select * from {{ source('lake', 'message') }}

),

deduplicated as (

    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'message'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        message_id,
        customer_id,
        campaign_id,

        -- message attributes
        channel,
        direction,
        status as message_status,
        from_address,
        to_address,
        provider,
        cast(segments as integer) as segments,
        error_code,
        url as clicked_url,

        -- money
        price,
        currency,

        occurred_at,
        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
