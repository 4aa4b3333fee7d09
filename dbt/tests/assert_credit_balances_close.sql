{#-
    credit_balances: each day's closing_balance is all credit granted - used - expired up to and
    including that day (recomputed by a self-join, independently of the model's window sum), and
    runway_days is NULL exactly when the burn rate is 0. Returns the offending rows.
-#}

with

balances as (

    select * from {{ ref('credit_balances') }}

),

recomputed as (

    select
        later.tenant_id as tenant_id,
        later.customer_id as customer_id,
        later.currency as currency,
        later.balance_date as balance_date,
        max(later.closing_balance) as closing_balance,
        max(later.daily_burn_rate) as daily_burn_rate,
        max(later.runway_days) as runway_days,
        sum(earlier.granted_amount - earlier.used_amount - earlier.expired_amount) as expected_balance

    from balances as later
    inner join balances as earlier
        on earlier.tenant_id = later.tenant_id
        and earlier.customer_id = later.customer_id
        and earlier.currency = later.currency
    where earlier.balance_date <= later.balance_date
    group by later.tenant_id, later.customer_id, later.currency, later.balance_date

)

select *
from recomputed
where closing_balance <> expected_balance
    or (daily_burn_rate = 0 and runway_days is not null)
    or (daily_burn_rate > 0 and runway_days is null)
