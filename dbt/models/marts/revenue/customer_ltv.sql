{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Churn-based customer lifetime value per tenant and month, over the trailing window of 12
    months ending with the month (fewer at the tenant's start): ARPA = the window's month-end MRR
    / its active customer-months; monthly logo churn rate = the window's churned customers / its
    customers at month start (pooled over the window's months); LTV = ARPA / churn rate, computed
    as one exact ratio (window_mrr * customers_at_start_months) / (active_customer_months *
    churned_customers) and rounded once. Without churn in the window LTV is NULL with a status,
    not capped. Revenue LTV: no gross margin applied.
-#}

with

retention as (

    select * from {{ ref('churn_and_retention') }}

),

bridge as (

    select * from {{ ref('mrr_bridge') }}

),

tenant_months as (

    select
        retention.tenant_id as tenant_id,
        retention.month as month,
        {{ add_months('retention.month', '-11') }} as window_first_month,
        bridge.closing_mrr as closing_mrr,
        retention.closing_customers as closing_customers,
        retention.customers_at_start as customers_at_start,
        retention.churned_customers as churned_customers

    from retention
    inner join bridge
        on retention.tenant_id = bridge.tenant_id
        and retention.month = bridge.month

),

-- Each month with the months of its window (same tenant, window_first_month .. month).
trailing_windows as (

    select
        window_end.tenant_id as tenant_id,
        window_end.month as month,
        min(window_month.month) as window_start_month,
        cast(count(*) as bigint) as window_months,
        cast(sum(window_month.closing_mrr) as decimal(18, 6)) as window_mrr,
        cast(sum(window_month.closing_customers) as bigint) as active_customer_months,
        cast(sum(window_month.customers_at_start) as bigint) as customers_at_start_months,
        cast(sum(window_month.churned_customers) as bigint) as churned_customers

    from tenant_months as window_end
    inner join tenant_months as window_month
        on window_end.tenant_id = window_month.tenant_id
    where window_month.month >= window_end.window_first_month
        and window_month.month <= window_end.month
    group by window_end.tenant_id, window_end.month

),

final as (

    select
        tenant_id,
        month,
        window_start_month,
        window_months,
        window_mrr,
        active_customer_months,
        {{ decimal_ratio('window_mrr', 'active_customer_months') }} as arpa,
        customers_at_start_months,
        churned_customers,
        {{ decimal_ratio('churned_customers', 'customers_at_start_months') }}
            as monthly_logo_churn_rate,
        {{ decimal_ratio(
            'cast(window_mrr as decimal(38, 6)) * customers_at_start_months',
            'active_customer_months * churned_customers'
        ) }} as ltv,
        cast(
            case
                when active_customer_months = 0 then 'no_active_customers'
                when customers_at_start_months = 0 then 'no_customers_at_start'
                when churned_customers = 0 then 'no_churn'
                else 'ok'
            end as varchar
        ) as ltv_status

    from trailing_windows

)

select * from final
