{#-
    Subscription periods from billing events (docs/revenue.md, "MRR from billing events"): each
    subscription_created / _changed / _reactivated event starts a period with that event's terms,
    which lasts until the subscription's next event (a cancellation ends it; a later change
    replaces it). No MRR during a trial: a period starts at trial_end when the event carries one.
    The monthly amount normalises the recurring price: amount × quantity × (1 − percent off) −
    amount off, per interval_count intervals; year ÷ 12, week × 52 / 12, day × 365 / 12; never below
    0. It is one exact ratio of decimals (percent off in hundredths of a percent), rounded once,
    half away from zero, to 6 decimals (macro decimal_ratio), so both targets agree to the digit.
    Periods are in dates (UTC): an event during a day starts or ends the period on that day.
    included_usage_amount is the event's usage allowance per month as given (not scaled by
    interval, quantity or discounts); NULL when the event states none.
-#}

{%- set subscription_events = ['subscription_created', 'subscription_changed', 'subscription_cancelled', 'subscription_reactivated'] -%}

with

subscription_events as (

    select * from {{ ref('stg_irisx__billing_events') }}
    where event_type in ('{{ subscription_events | join("', '") }}')
        and subscription_id is not null

),

with_next as (

    select
        *,
        {{ next_in_partition(epoch_us('occurred_at'), 'tenant_id, subscription_id', 'occurred_at, event_id') }}
            as next_event_us

    from subscription_events

),

terms as (

    select
        tenant_id,
        subscription_id,
        customer_id,
        event_id,
        event_type,
        currency,
        billing_interval,
        interval_count,
        quantity,
        included_usage_amount,
        -- the period: from the event (or its trial's end) to the subscription's next event
        case
            when trial_end_at is not null and trial_end_at > occurred_at
                then cast(trial_end_at as date)
            else cast(occurred_at as date)
        end as start_date,
        case
            when next_event_us is not null
                then cast({{ timestamp_from_us('next_event_us') }} as date)
        end as end_date,
        -- net price per interval_count intervals x 10,000 (hundredths of a percent), exact:
        -- amount x quantity x (100 % - percent off) - amount off
        cast(amount as decimal(38, 6))
            * quantity
            * cast(round((100 - coalesce(discount_percent, 0)) * 100) as bigint)
            - cast(coalesce(discount_amount, 0) as decimal(38, 6)) * 10000 as net_price_units

    from with_next
    where event_type != 'subscription_cancelled'
        and amount is not null
        and billing_interval is not null

),

normalised as (

    select
        tenant_id,
        subscription_id,
        customer_id,
        event_id,
        start_date,
        end_date,
        currency,
        cast(
            case
                when net_price_units <= 0 then 0
                when billing_interval = 'month'
                    then {{ decimal_ratio('net_price_units', '10000 * interval_count') }}
                when billing_interval = 'year'
                    then {{ decimal_ratio('net_price_units', '120000 * interval_count') }}
                when billing_interval = 'week'
                    then {{ decimal_ratio('net_price_units * 52', '120000 * interval_count') }}
                when billing_interval = 'day'
                    then {{ decimal_ratio('net_price_units * 365', '120000 * interval_count') }}
            end as decimal(18, 6)
        ) as monthly_amount,
        cast(included_usage_amount as decimal(18, 6)) as included_usage_amount

    from terms

),

periods as (

    select *
    from normalised
    -- a period that ends before it starts (cancelled during its trial) never counts
    where end_date is null or end_date > start_date

)

select * from periods
