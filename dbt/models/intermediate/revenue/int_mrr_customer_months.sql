{#-
    MRR of each customer and month, in the reporting currency (var reporting_currency, default
    USD): the sum over the customer's subscription periods active on the month's last day
    (start_date <= last day < end_date, end exclusive; equivalently start_date < next month's
    first day <= end_date) of monthly_amount × the rate of its currency in effect that day
    (int_month_end_fx_rates), each product rounded half away from zero to 6 decimals.
    One row per customer and month from the customer's first month with MRR > 0 to the as-of
    month (revenue_as_of_month), months at 0 included; customers never active at a month end have
    no rows. included_usage_amount: the usage allowance per month of the same active periods,
    converted alike; NULL when none of them states one (imports and older events carry none).
-#}

with

periods as (

    select * from {{ ref('int_subscription_periods') }}

),

fx_rates as (

    select * from {{ ref('int_month_end_fx_rates') }}

),

as_of as (

    select {{ revenue_as_of_month() }} as as_of_month

),

-- 1200 months (100 years) from a tenant's first period is beyond any real history.
month_offsets as (

    {{ integer_series(1200) }}

),

tenant_first_months as (

    select
        tenant_id,
        cast({{ dbt.date_trunc('month', 'min(start_date)') }} as date) as first_month

    from periods
    group by tenant_id

),

tenant_months as (

    select
        tenant_first_months.tenant_id as tenant_id,
        {{ add_months('tenant_first_months.first_month', 'month_offsets.n') }} as month,
        {{ add_months('tenant_first_months.first_month', 'month_offsets.n + 1') }} as next_month,
        {{ add_months('tenant_first_months.first_month', 'month_offsets.n - 1') }}
            as previous_month

    from tenant_first_months
    cross join month_offsets
    cross join as_of
    where {{ add_months('tenant_first_months.first_month', 'month_offsets.n') }}
        <= as_of.as_of_month

),

active_at_month_end as (

    select
        tenant_months.tenant_id as tenant_id,
        periods.customer_id as customer_id,
        tenant_months.month as month,
        -- exact (in_reporting_currency), rounded once per period. A missing rate
        -- fails the not_null test of int_month_end_fx_rates.rate, so `dbt build`
        -- stops before this model; a bare `dbt run` skips tests and has no such guard.
        sum(
            {{ in_reporting_currency('periods.monthly_amount', 'fx_rates.rate') }}
        ) as mrr,
        -- the plans' included usage per month, converted the same way; NULL (sum of nothing)
        -- when no active period states an allowance
        sum(
            {{ in_reporting_currency('periods.included_usage_amount', 'fx_rates.rate') }}
        ) as included_usage_amount

    from tenant_months
    inner join periods
        on tenant_months.tenant_id = periods.tenant_id
    inner join fx_rates
        on periods.currency = fx_rates.currency
        and tenant_months.month = fx_rates.month
    where periods.start_date < tenant_months.next_month
        and (periods.end_date is null or periods.end_date >= tenant_months.next_month)
    group by tenant_months.tenant_id, periods.customer_id, tenant_months.month

),

customer_first_months as (

    select
        tenant_id,
        customer_id,
        min(month) as first_active_month,
        max(month) as last_active_month

    from active_at_month_end
    where mrr > 0
    group by tenant_id, customer_id

),

customer_months as (

    select
        customer_first_months.tenant_id as tenant_id,
        customer_first_months.customer_id as customer_id,
        tenant_months.month as month,
        tenant_months.previous_month as previous_month,
        cast(coalesce(active_at_month_end.mrr, 0) as decimal(18, 6)) as mrr,
        cast(active_at_month_end.included_usage_amount as decimal(18, 6))
            as included_usage_amount,
        customer_first_months.first_active_month as first_active_month,
        customer_first_months.last_active_month as last_active_month

    from customer_first_months
    inner join tenant_months
        on customer_first_months.tenant_id = tenant_months.tenant_id
    left join active_at_month_end
        on tenant_months.tenant_id = active_at_month_end.tenant_id
        and tenant_months.month = active_at_month_end.month
        and customer_first_months.customer_id = active_at_month_end.customer_id
    where tenant_months.month >= customer_first_months.first_active_month

)

select * from customer_months
