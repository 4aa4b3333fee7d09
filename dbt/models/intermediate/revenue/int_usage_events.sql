{#-
    One row per billable usage unit, rated or not (docs/revenue.md, "Usage revenue and
    usage-aware MRR"):
    - a call (int_calls_deduplicated: the latest CDR of each call) with billsec > 0, product
      voice_<direction>, month of start_at; an unanswered call (billsec 0) bills nothing;
    - a message's `sent` event (the event the platform charges on), the latest per message,
      product = channel, month (and usage_date) of the event. Messages carry no carrier cost (cost NULL).
    price/cost are NULL when the row was not rated: they stay NULL here so that the marts can
    show unrated usage (rated_share) instead of a silent 0.
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
        customer_id,
        cast({{ dbt.date_trunc('month', 'start_at') }} as date) as month,
        cast(start_at as date) as usage_date,
        cast({{ dbt.concat(["'voice_'", 'direction']) }} as varchar) as product,
        currency,
        cast(1 as bigint) as calls,
        cast(billsec as bigint) as billed_seconds,
        cast(0 as bigint) as messages,
        cast(0 as bigint) as segments,
        cast(price as decimal(18, 6)) as price,
        cast(cost as decimal(18, 6)) as cost
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
        customer_id,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as month,
        cast(occurred_at as date) as usage_date,
        cast(channel as varchar) as product,
        currency,
        cast(0 as bigint) as calls,
        cast(0 as bigint) as billed_seconds,
        cast(1 as bigint) as messages,
        cast(case when channel = 'email' then 0 else coalesce(segments, 1) end as bigint)
            as segments,
        cast(price as decimal(18, 6)) as price,
        cast(null as decimal(18, 6)) as cost
    from latest_sent_message

),

final as (

    select * from billable_calls
    union all
    select * from billable_messages

)

select * from final
where month <= {{ revenue_as_of_month() }}
