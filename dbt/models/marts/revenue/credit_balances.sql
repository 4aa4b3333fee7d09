{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Prepaid and promotional credit per tenant, customer, currency and UTC day, from the customer's
    first credit event to the as-of date (billing_ops_as_of_date), days without events included
    (docs/revenue.md, "Dunning, credits and spend alerts"). Burn rate = credit used in the
    trailing {{ var('credit_burn_window_days', 30) }} days (the day included) / that number of
    days; runway and depletion are NULL when the burn rate is 0.
-#}

{%- set window_days = var('credit_burn_window_days', 30) %}

with

credit_events as (

    select
        tenant_id,
        customer_id,
        currency,
        event_type,
        cast(occurred_at as date) as event_date,
        cast(amount as decimal(18, 6)) as amount

    from {{ ref('stg_irisx__billing_events') }}
    where event_type in ('credit_granted', 'credit_used', 'credit_expired')

),

daily_movements as (

    select
        tenant_id,
        customer_id,
        currency,
        event_date,
        cast(sum(case when event_type = 'credit_granted' then amount else cast('0' as decimal(18, 6)) end) as decimal(18, 6))
            as granted_amount,
        cast(sum(case when event_type = 'credit_used' then amount else cast('0' as decimal(18, 6)) end) as decimal(18, 6))
            as used_amount,
        cast(sum(case when event_type = 'credit_expired' then amount else cast('0' as decimal(18, 6)) end) as decimal(18, 6))
            as expired_amount

    from credit_events
    group by tenant_id, customer_id, currency, event_date

),

first_days as (

    select
        tenant_id,
        customer_id,
        currency,
        min(event_date) as first_date

    from daily_movements
    group by tenant_id, customer_id, currency

),

-- 3660 days (ten years) from a customer's first credit event is beyond any real history.
day_offsets as (

    {{ integer_series(3660) }}

),

customer_days as (

    select
        first_days.tenant_id as tenant_id,
        first_days.customer_id as customer_id,
        first_days.currency as currency,
        {{ add_days('first_days.first_date', 'day_offsets.n') }} as balance_date

    from first_days
    cross join day_offsets
    where {{ add_days('first_days.first_date', 'day_offsets.n') }} <= {{ billing_ops_as_of_date() }}

),

filled as (

    select
        customer_days.tenant_id as tenant_id,
        customer_days.customer_id as customer_id,
        customer_days.currency as currency,
        customer_days.balance_date as balance_date,
        coalesce(daily_movements.granted_amount, cast('0' as decimal(18, 6))) as granted_amount,
        coalesce(daily_movements.used_amount, cast('0' as decimal(18, 6))) as used_amount,
        coalesce(daily_movements.expired_amount, cast('0' as decimal(18, 6))) as expired_amount

    from customer_days
    left join daily_movements
        on daily_movements.tenant_id = customer_days.tenant_id
        and daily_movements.customer_id = customer_days.customer_id
        and daily_movements.currency = customer_days.currency
        and daily_movements.event_date = customer_days.balance_date

),

running as (

    select
        tenant_id,
        customer_id,
        currency,
        balance_date,
        granted_amount,
        used_amount,
        expired_amount,
        cast(sum(granted_amount - used_amount - expired_amount) over (
            partition by tenant_id, customer_id, currency
            order by balance_date
            rows between unbounded preceding and current row
        ) as decimal(18, 6)) as closing_balance,
        cast(sum(used_amount) over (
            partition by tenant_id, customer_id, currency
            order by balance_date
            rows between {{ window_days - 1 }} preceding and current row
        ) as decimal(18, 6)) as trailing_used_amount

    from filled

),

burn as (

    select
        *,
        {{ decimal_ratio('trailing_used_amount', window_days) }} as daily_burn_rate

    from running

),

runway as (

    select
        *,
        case
            when daily_burn_rate is null or daily_burn_rate = 0 then null
            when closing_balance <= 0 then cast('0' as decimal(38, 6))
            else {{ decimal_ratio('closing_balance', 'daily_burn_rate') }}
        end as runway_days

    from burn

)

select
    tenant_id,
    customer_id,
    currency,
    balance_date,
    granted_amount,
    used_amount,
    expired_amount,
    closing_balance,
    trailing_used_amount,
    daily_burn_rate,
    runway_days,
    case
        when runway_days is not null
            then {{ add_days('balance_date', 'cast(floor(runway_days) as bigint)') }}
    end as projected_depletion_date

from runway
