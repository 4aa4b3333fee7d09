with

source as (

    select * from {{ source('lake', 'transcript') }}

),

deduplicated as (

    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'transcript'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        call_id,
        cast(segment_index as integer) as segment_index,

        -- segment attributes
        speaker,
        {{ adapter.quote('text') }} as segment_text,
        language,
        cast(confidence as double) as confidence,

        -- offsets from answer
        cast(start_offset_ms as bigint) as start_offset_ms,
        cast(end_offset_ms as bigint) as end_offset_ms,
        cast(end_offset_ms - start_offset_ms as bigint) as duration_ms,

        occurred_at,
        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
