{#-
    Usage spend per tenant, currency and UTC day (docs/revenue.md, "Dunning, credits and spend
    alerts"), by the rules of int_usage_events (usage_revenue): a call (int_calls_deduplicated)
    with billsec > 0 on the day of start_at, and the latest `sent` event of a message on its day;
    spend = sum of the rated prices (unrated units count in billable_units, not in spend). Only
    days with billable usage have rows; days after the as-of date are left out.
-#}

with

calls as (

    select * from {{ ref('int_calls_deduplicated') }}

),

messages as (

    select * from {{ ref('stg_irisx__messages') }}

),

billable_calls as (

    select
        tenant_id,
        currency,
        cast(start_at as date) as spend_date,
        cast(price as decimal(18, 6)) as price
    from calls
    where billsec > 0

),

sent_messages as (

    select * from messages where message_status = 'sent'

),

latest_sent_message as (

    {{ deduplicate(
        'sent_messages',
        partition_by='tenant_id, message_id',
        order_by=['occurred_at desc', 'event_id desc'],
    ) }}

),

billable_messages as (

    select
        tenant_id,
        currency,
        cast(occurred_at as date) as spend_date,
        cast(price as decimal(18, 6)) as price
    from latest_sent_message

),

billable_units as (

    select * from billable_calls
    union all
    select * from billable_messages

)

select
    tenant_id,
    currency,
    spend_date,
    cast(count(*) as bigint) as billable_units,
    cast(coalesce(sum(price), cast('0' as decimal(18, 6))) as decimal(18, 6)) as spend

from billable_units
where spend_date <= {{ billing_ops_as_of_date() }}
group by tenant_id, currency, spend_date
