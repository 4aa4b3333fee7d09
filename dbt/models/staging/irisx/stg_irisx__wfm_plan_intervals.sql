with

source as (

    select * from {{ source('lake', 'wfm_plan_intervals') }}

),

-- Imports accumulate (a re-forecast supersedes the plan it replaces): per tenant, queue and
-- interval the latest import counts; import_id breaks a tie of two imports in one instant.
latest_import as (

    {{ deduplicate(
        'source',
        partition_by='tenant_id, queue_id, interval_start',
        order_by=['imported_at desc', 'import_id desc'],
    ) }}

),

renamed as (

    select
        -- ids
        cast(tenant_id as varchar) as tenant_id,
        cast(queue_id as varchar) as queue_id,

        -- the 15-minute interval (UTC) and its start in microseconds since the epoch
        interval_start,
        {{ epoch_us('interval_start') }} as interval_start_us,

        -- what the plan expected
        cast(planned_calls as double) as planned_calls,
        cast(planned_aht_sec as double) as planned_aht_sec,
        cast(planned_agents as double) as planned_agents,
        cast(planned_service_level as double) as planned_service_level,

        cast(import_id as varchar) as import_id,
        imported_at

    from latest_import

)

select * from renamed
