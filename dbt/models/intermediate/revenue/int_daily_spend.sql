{#-
    Usage spend per tenant, currency and UTC day (docs/revenue.md, "Dunning, credits and spend
    alerts"), read from int_usage_events (the billable units of usage_revenue): a call with
    billsec > 0 on the day of start_at, and the latest `sent` event of a message on its day;
    spend = sum of the rated prices (unrated units count in billable_units, not in spend). Only
    days with billable usage have rows; days after the as-of date are left out.
-#}

with

billable_units as (

    select * from {{ ref('int_usage_events') }}

)

select
    tenant_id,
    currency,
    usage_date as spend_date,
    cast(count(*) as bigint) as billable_units,
    cast(coalesce(sum(price), cast('0' as decimal(18, 6))) as decimal(18, 6)) as spend

from billable_units
where usage_date <= {{ billing_ops_as_of_date() }}
group by tenant_id, currency, usage_date
