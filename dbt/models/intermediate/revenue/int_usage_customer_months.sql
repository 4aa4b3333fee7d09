{#-
    Dense customer months for usage-aware MRR: one row per tenant, customer and month from the
    customer's first month with committed MRR > 0 or with usage to the as-of month, with the
    committed MRR (mrr_by_customer_month), the month's usage revenue (usage_revenue, rated units
    only; usage without a customer_id is left out), and the usage revenue of the two months
    before (NULL before the customer's first month), joined by equality (no lag(), which
    defaults to 0 on ClickHouse).
-#}

with

customer_mrr as (

    select * from {{ ref('mrr_by_customer_month') }}

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

usage_by_customer_month as (

    select
        tenant_id,
        customer_id,
        month,
        cast(coalesce(sum(revenue), 0) as decimal(18, 6)) as usage_revenue,
        cast(sum(billable_units - rated_units) as bigint) as unrated_usage_units
    from usage
    where customer_id is not null
    group by tenant_id, customer_id, month

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
        {{ add_months('first_months.first_month', 'month_offsets.n') }} as month,
        {{ add_months('first_months.first_month', 'month_offsets.n - 1') }} as previous_month,
        {{ add_months('first_months.first_month', 'month_offsets.n - 2') }}
            as second_previous_month,
        cast(case when month_offsets.n >= 2 then 3 else month_offsets.n + 1 end as bigint)
            as run_rate_months
    from first_months
    cross join month_offsets
    cross join as_of
    where {{ add_months('first_months.first_month', 'month_offsets.n') }} <= as_of.as_of_month

),

with_amounts as (

    select
        customer_months.tenant_id as tenant_id,
        customer_months.customer_id as customer_id,
        customer_months.month as month,
        customer_months.previous_month as previous_month,
        customer_months.second_previous_month as second_previous_month,
        customer_months.run_rate_months as run_rate_months,
        cast(coalesce(customer_mrr.mrr, 0) as decimal(18, 6)) as committed_mrr,
        cast(coalesce(usage_by_customer_month.usage_revenue, 0) as decimal(18, 6))
            as usage_revenue,
        cast(coalesce(usage_by_customer_month.unrated_usage_units, 0) as bigint)
            as unrated_usage_units
    from customer_months
    left join customer_mrr
        on customer_months.tenant_id = customer_mrr.tenant_id
        and customer_months.customer_id = customer_mrr.customer_id
        and customer_months.month = customer_mrr.month
    left join usage_by_customer_month
        on customer_months.tenant_id = usage_by_customer_month.tenant_id
        and customer_months.customer_id = usage_by_customer_month.customer_id
        and customer_months.month = usage_by_customer_month.month

),

final as (

    select
        current_month.tenant_id as tenant_id,
        current_month.customer_id as customer_id,
        current_month.month as month,
        current_month.previous_month as previous_month,
        current_month.committed_mrr as committed_mrr,
        current_month.usage_revenue as usage_revenue,
        current_month.unrated_usage_units as unrated_usage_units,
        current_month.run_rate_months as run_rate_months,
        cast(
            current_month.usage_revenue
            + coalesce(month_before.usage_revenue, 0)
            + coalesce(two_months_before.usage_revenue, 0)
            as decimal(18, 6)
        ) as trailing_usage_revenue
    from with_amounts as current_month
    left join with_amounts as month_before
        on current_month.tenant_id = month_before.tenant_id
        and current_month.customer_id = month_before.customer_id
        and current_month.previous_month = month_before.month
    left join with_amounts as two_months_before
        on current_month.tenant_id = two_months_before.tenant_id
        and current_month.customer_id = two_months_before.customer_id
        and current_month.second_previous_month = two_months_before.month

)

select * from final
