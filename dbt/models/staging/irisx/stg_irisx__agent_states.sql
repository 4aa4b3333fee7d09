with

source as (

    select * from {{ source('lake', 'agent') }}

),

deduplicated as (

    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'agent'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        agent_id,
        queue_id,
        call_id,

        -- state attributes
        state as agent_state,
        reason as not_ready_reason,
        scheduled_activity,

        -- the state holds from here until the agent's next event
        occurred_at,

        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
