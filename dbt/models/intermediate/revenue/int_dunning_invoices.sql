{#-
    One row per invoice that failed at least once (docs/revenue.md, "Dunning, credits and spend
    alerts"). An invoice failing several times is still one invoice: failure_count counts its
    invoice_failed events, first_failed_at is the first. Its outcome, in this order:
    recovered (an invoice_paid at or after the first failure), written off (no payment, and its
    subscription was cancelled at or after the first failure), else open. Refunds of the invoice
    are reported in refunded_amount and do not change the outcome.
-#}

with

billing_events as (

    select * from {{ ref('stg_irisx__billing_events') }}

),

failure_events as (

    select * from billing_events
    where event_type = 'invoice_failed'

),

failures as (

    select
        tenant_id,
        invoice_id,
        min(occurred_at) as first_failed_at,
        cast(count(*) as bigint) as failure_count

    from failure_events
    group by tenant_id, invoice_id

),

first_failures as (

    select
        failures.tenant_id as tenant_id,
        failures.invoice_id as invoice_id,
        failures.first_failed_at as first_failed_at,
        failures.failure_count as failure_count,
        max(failure_events.customer_id) as customer_id,
        max(failure_events.subscription_id) as subscription_id,
        max(failure_events.currency) as currency,
        cast(max(failure_events.amount) as decimal(18, 6)) as invoice_amount

    from failures
    inner join failure_events
        on failure_events.tenant_id = failures.tenant_id
        and failure_events.invoice_id = failures.invoice_id
    where failure_events.occurred_at = failures.first_failed_at
    group by failures.tenant_id, failures.invoice_id, failures.first_failed_at, failures.failure_count

),

dunning_steps as (

    select
        tenant_id,
        invoice_id,
        cast(max(dunning_step) as bigint) as dunning_steps

    from billing_events
    where event_type = 'dunning_step'
    group by tenant_id, invoice_id

),

recoveries as (

    select
        first_failures.tenant_id as tenant_id,
        first_failures.invoice_id as invoice_id,
        min(billing_events.occurred_at) as recovered_at

    from first_failures
    inner join billing_events
        on billing_events.tenant_id = first_failures.tenant_id
        and billing_events.invoice_id = first_failures.invoice_id
    where billing_events.event_type = 'invoice_paid'
        and billing_events.occurred_at >= first_failures.first_failed_at
    group by first_failures.tenant_id, first_failures.invoice_id

),

refunds as (

    select
        tenant_id,
        invoice_id,
        cast(sum(amount) as decimal(18, 6)) as refunded_amount

    from billing_events
    where event_type = 'invoice_refunded'
    group by tenant_id, invoice_id

),

cancellations as (

    select
        first_failures.tenant_id as tenant_id,
        first_failures.invoice_id as invoice_id,
        min(billing_events.occurred_at) as cancelled_at

    from first_failures
    inner join billing_events
        on billing_events.tenant_id = first_failures.tenant_id
        and billing_events.customer_id = first_failures.customer_id
        and billing_events.subscription_id = first_failures.subscription_id
    where billing_events.event_type = 'subscription_cancelled'
        and billing_events.occurred_at >= first_failures.first_failed_at
    group by first_failures.tenant_id, first_failures.invoice_id

),

outcomes as (

    select
        first_failures.tenant_id as tenant_id,
        first_failures.customer_id as customer_id,
        first_failures.subscription_id as subscription_id,
        first_failures.invoice_id as invoice_id,
        first_failures.currency as currency,
        first_failures.invoice_amount as invoice_amount,
        first_failures.failure_count as failure_count,
        coalesce(dunning_steps.dunning_steps, cast(0 as bigint)) as dunning_steps,
        first_failures.first_failed_at as first_failed_at,
        cast(first_failures.first_failed_at as date) as first_failed_date,
        recoveries.recovered_at as recovered_at,
        case
            when recoveries.recovered_at is null then cancellations.cancelled_at
        end as written_off_at,
        coalesce(refunds.refunded_amount, cast('0' as decimal(18, 6))) as refunded_amount

    from first_failures
    left join dunning_steps
        on dunning_steps.tenant_id = first_failures.tenant_id
        and dunning_steps.invoice_id = first_failures.invoice_id
    left join recoveries
        on recoveries.tenant_id = first_failures.tenant_id
        and recoveries.invoice_id = first_failures.invoice_id
    left join refunds
        on refunds.tenant_id = first_failures.tenant_id
        and refunds.invoice_id = first_failures.invoice_id
    left join cancellations
        on cancellations.tenant_id = first_failures.tenant_id
        and cancellations.invoice_id = first_failures.invoice_id

)

select
    tenant_id,
    customer_id,
    subscription_id,
    invoice_id,
    currency,
    invoice_amount,
    failure_count,
    dunning_steps,
    first_failed_at,
    first_failed_date,
    cast({{ dbt.date_trunc('month', 'first_failed_date') }} as date) as failure_month,
    recovered_at,
    written_off_at,
    case
        when recovered_at is not null then 'recovered'
        when written_off_at is not null then 'written_off'
        else 'open'
    end as outcome,
    case
        when recovered_at is not null
            then cast({{ dbt.datediff('first_failed_date', 'cast(recovered_at as date)', 'day') }} as bigint)
    end as days_to_recover,
    refunded_amount

from outcomes
