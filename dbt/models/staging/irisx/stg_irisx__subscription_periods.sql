with

source as (

    select * from {{ source('lake', 'subscription_periods') }}

),

-- A tenant's CSV is its full current state: only its latest import counts.
latest_import as (

    select
        tenant_id,
        max(imported_at) as imported_at

    from source
    group by tenant_id

),

current_periods as (

    select source.*

    from source
    inner join latest_import
        on source.tenant_id = latest_import.tenant_id
        and source.imported_at = latest_import.imported_at

),

renamed as (

    select
        -- ids
        cast(tenant_id as varchar) as tenant_id,
        cast(subscription_id as varchar) as subscription_id,
        cast(customer_id as varchar) as customer_id,

        -- period: start inclusive, end exclusive (null = still active)
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,

        -- money
        cast(monthly_amount as decimal(18, 6)) as monthly_amount,
        cast(currency as varchar) as currency,

        cast(import_id as varchar) as import_id,
        imported_at

    from current_periods

)

select * from renamed
