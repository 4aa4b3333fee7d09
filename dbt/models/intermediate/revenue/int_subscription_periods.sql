{#-
    Every subscription period the MRR models count, with its source. A tenant that imported a
    subscription CSV (`irisx import subscriptions`) is counted from its import only: the file is
    its declared book, and counting billing events as well would count the same subscriptions
    twice. Every other tenant is counted from its billing events. Amounts stay in each period's
    currency; int_mrr_customer_months converts them (int_month_end_fx_rates).
-#}

-- The rates (int_fx_rates: imported rates over the fx_rates seed) are built with these periods,
-- so that any selection of them and their descendants (`+int_subscription_periods+`) has the
-- rates the MRR models convert with.
-- depends_on: {{ ref('int_fx_rates') }}

with

imported as (

    select
        tenant_id,
        subscription_id,
        customer_id,
        start_date,
        end_date,
        monthly_amount,
        -- the CSV states no usage allowance
        cast(null as decimal(18, 6)) as included_usage_amount,
        currency,
        cast('import' as varchar) as source

    from {{ ref('stg_irisx__subscription_periods') }}

),

importing_tenants as (

    select distinct tenant_id from imported

),

from_billing as (

    select
        billing.tenant_id as tenant_id,
        billing.subscription_id as subscription_id,
        billing.customer_id as customer_id,
        billing.start_date as start_date,
        billing.end_date as end_date,
        billing.monthly_amount as monthly_amount,
        billing.included_usage_amount as included_usage_amount,
        billing.currency as currency,
        cast('billing_events' as varchar) as source

    from {{ ref('int_billing_subscription_periods') }} as billing
    left join importing_tenants
        on billing.tenant_id = importing_tenants.tenant_id
    where importing_tenants.tenant_id is null

),

unioned as (

    select * from imported
    union all
    select * from from_billing

)

select * from unioned
