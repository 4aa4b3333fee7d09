{#-
    Dense customer months for usage-aware MRR: one row per tenant, customer and month from the
    customer's first month with committed MRR > 0 or with usage to the as-of month, with the
    committed MRR and the plans' included usage allowance (int_mrr_customer_months), the month's
    usage revenue (usage_revenue, rated units only; usage without a customer_id is left out),
    converted into the reporting currency at the month-end rate (int_month_end_fx_rates), and
    the usage revenue of the run-rate window: the three most recent COMPLETE months ending with
    the month. Every month before the as-of month is complete; the as-of month never is (the
    as-of date's usage may still come in), so its window is the three months before it. Months
    before the customer's first month are not in its history and do not count
    (run_rate_months = 0 to 3). Joined by equality (no lag(), which defaults to 0 on ClickHouse).
-#}

with

customer_mrr as (

    select * from {{ ref('int_mrr_customer_months') }}

),

usage as (

    select * from {{ ref('usage_revenue') }}

),

month_offsets as (

    {{ integer_series(1200) }}

),

as_of as (

    select {{ revenue_as_of_month() }} as as_of_month

),

fx_rates as (

    select * from {{ ref('int_month_end_fx_rates') }}

),

-- each currency's usage revenue in the reporting currency at the month-end rate (a currency
-- with rated usage and no rate fails int_month_end_fx_rates' not_null test); left join: a
-- currency with only unrated usage has no rate and no revenue, but its units still count
usage_by_customer_month as (

    select
        usage.tenant_id as tenant_id,
        usage.customer_id as customer_id,
        usage.month as month,
        cast(
            coalesce(sum({{ in_reporting_currency('usage.revenue', 'fx_rates.rate') }}), 0)
            as decimal(18, 6)
        ) as usage_revenue,
        cast(sum(usage.billable_units - usage.rated_units) as bigint) as unrated_usage_units
    from usage
    left join fx_rates
        on usage.currency = fx_rates.currency
        and usage.month = fx_rates.month
    where usage.customer_id is not null
    group by usage.tenant_id, usage.customer_id, usage.month

),

first_months as (

    select tenant_id, customer_id, min(month) as first_month
    from (
        select tenant_id, customer_id, month from customer_mrr where mrr > 0
        union all
        select tenant_id, customer_id, month from usage_by_customer_month
    ) as active_months
    group by tenant_id, customer_id

),

customer_months as (

    select
        first_months.tenant_id as tenant_id,
        first_months.customer_id as customer_id,
        first_months.first_month as first_month,
        {{ add_months('first_months.first_month', 'month_offsets.n') }} as month,
        -- the window's last month, as an offset from the first month: the month itself once
        -- complete, else (the as-of month) the month before
        case
            when {{ add_months('first_months.first_month', 'month_offsets.n') }}
                < as_of.as_of_month
                then month_offsets.n
            else month_offsets.n - 1
        end as window_end_n
    from first_months
    cross join month_offsets
    cross join as_of
    where {{ add_months('first_months.first_month', 'month_offsets.n') }} <= as_of.as_of_month

),

window_offsets as (

    {{ integer_series(3) }}

),

-- the window's three months; those before the customer's first month have no usage
window_months as (

    select
        customer_months.tenant_id as tenant_id,
        customer_months.customer_id as customer_id,
        customer_months.month as month,
        {{ add_months(
            'customer_months.first_month', 'customer_months.window_end_n - window_offsets.n'
        ) }} as window_month
    from customer_months
    cross join window_offsets

),

window_usage as (

    select
        window_months.tenant_id as tenant_id,
        window_months.customer_id as customer_id,
        window_months.month as month,
        cast(coalesce(sum(usage_by_customer_month.usage_revenue), 0) as decimal(18, 6))
            as trailing_usage_revenue
    from window_months
    left join usage_by_customer_month
        on window_months.tenant_id = usage_by_customer_month.tenant_id
        and window_months.customer_id = usage_by_customer_month.customer_id
        and window_months.window_month = usage_by_customer_month.month
    group by window_months.tenant_id, window_months.customer_id, window_months.month

),

final as (

    select
        customer_months.tenant_id as tenant_id,
        customer_months.customer_id as customer_id,
        customer_months.month as month,
        cast(coalesce(customer_mrr.mrr, 0) as decimal(18, 6)) as committed_mrr,
        customer_mrr.included_usage_amount as included_usage_amount,
        cast(coalesce(usage_by_customer_month.usage_revenue, 0) as decimal(18, 6))
            as usage_revenue,
        cast(coalesce(usage_by_customer_month.unrated_usage_units, 0) as bigint)
            as unrated_usage_units,
        -- months of the window in the customer's history: window_end_n + 1, at most 3
        cast(
            case
                when customer_months.window_end_n >= 2 then 3
                else customer_months.window_end_n + 1
            end as bigint
        ) as run_rate_months,
        window_usage.trailing_usage_revenue as trailing_usage_revenue
    from customer_months
    left join customer_mrr
        on customer_months.tenant_id = customer_mrr.tenant_id
        and customer_months.customer_id = customer_mrr.customer_id
        and customer_months.month = customer_mrr.month
    left join usage_by_customer_month
        on customer_months.tenant_id = usage_by_customer_month.tenant_id
        and customer_months.customer_id = usage_by_customer_month.customer_id
        and customer_months.month = usage_by_customer_month.month
    left join window_usage
        on customer_months.tenant_id = window_usage.tenant_id
        and customer_months.customer_id = window_usage.customer_id
        and customer_months.month = window_usage.month

)

select * from final
