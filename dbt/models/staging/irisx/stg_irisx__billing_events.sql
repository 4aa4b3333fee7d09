with

source as (

    select * from {{ source('lake', 'billing') }}

),

deduplicated as (

    {{ deduplicate(
        'source',
        partition_by='event_id',
        order_by=['occurred_at desc'] + source_column_names('lake', 'billing'),
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        tenant_id,
        customer_id,
        subscription_id,
        plan_id,
        invoice_id,

        event_type,

        -- recurring terms
        {{ adapter.quote('interval') }} as billing_interval,
        cast(interval_count as integer) as interval_count,
        cast(quantity as bigint) as quantity,

        -- money
        amount,
        currency,
        cast(discount_percent as double) as discount_percent,
        discount_amount,
        included_usage_amount,

        cast(dunning_step as integer) as dunning_step,
        reason,

        -- timestamps (UTC)
        trial_end as trial_end_at,
        period_start as period_start_at,
        period_end as period_end_at,
        occurred_at,

        cast(schema_version as integer) as schema_version

    from deduplicated

)

select * from renamed
