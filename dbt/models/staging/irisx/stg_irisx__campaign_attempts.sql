with

source as (

    select * from {{ source('lake', 'campaign') }}

),

deduplicated as (

    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'campaign'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        campaign_id,
        attempt_id,
        contact_id,
        call_id,
        agent_id,

        -- attempt attributes
        to_number,
        cast(attempt_number as integer) as attempt_number,
        dial_mode,
        outcome as dial_outcome,
        disposition,
        variant,

        -- flags
        cast(right_party_contact as boolean) as is_right_party_contact,
        cast(converted as boolean) as is_converted,
        {{ as_boolean("outcome in ('blocked_dnc', 'blocked_curfew')") }} as is_compliance_blocked,

        occurred_at,
        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
