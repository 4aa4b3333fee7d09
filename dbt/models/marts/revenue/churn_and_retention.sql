{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Per tenant and month (the months of mrr_bridge): customer counts and the churn and retention
    ratios of docs/revenue.md. Customers at the month's start are those active (MRR > 0) at the
    end of the month before; customers_at_start + new + reactivated - churned = closing, every
    month. A ratio whose denominator is 0 is NULL (decimal_ratio).
-#}

with

customer_months as (

    select * from {{ ref('mrr_by_customer_month') }}

),

movements as (

    select * from {{ ref('mrr_movements') }}

),

bridge as (

    select * from {{ ref('mrr_bridge') }}

),

active_customers as (

    select
        tenant_id,
        month,
        cast(sum(case when mrr > 0 then 1 else 0 end) as bigint) as active_customers

    from customer_months
    group by tenant_id, month

),

movement_counts as (

    select
        tenant_id,
        month,
        cast(sum(case when movement = 'new' then 1 else 0 end) as bigint) as new_customers,
        cast(sum(case when movement = 'reactivation' then 1 else 0 end) as bigint)
            as reactivated_customers,
        cast(sum(case when movement = 'churn' then 1 else 0 end) as bigint) as churned_customers

    from movements
    group by tenant_id, month

),

bridge_months as (

    select
        tenant_id,
        month,
        {{ add_months('month', '-1') }} as previous_month,
        opening_mrr,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churn_mrr

    from bridge

),

-- The month before by an equality join (no lag(): it defaults to 0 on ClickHouse).
counted as (

    select
        bridge_months.tenant_id as tenant_id,
        bridge_months.month as month,
        cast(coalesce(at_start.active_customers, 0) as bigint) as customers_at_start,
        cast(coalesce(movement_counts.new_customers, 0) as bigint) as new_customers,
        cast(coalesce(movement_counts.reactivated_customers, 0) as bigint)
            as reactivated_customers,
        cast(coalesce(movement_counts.churned_customers, 0) as bigint) as churned_customers,
        cast(at_end.active_customers as bigint) as closing_customers,
        bridge_months.opening_mrr as opening_mrr,
        bridge_months.new_mrr as new_mrr,
        bridge_months.reactivation_mrr as reactivation_mrr,
        bridge_months.expansion_mrr as expansion_mrr,
        bridge_months.contraction_mrr as contraction_mrr,
        bridge_months.churn_mrr as churn_mrr

    from bridge_months
    inner join active_customers as at_end
        on bridge_months.tenant_id = at_end.tenant_id
        and bridge_months.month = at_end.month
    left join active_customers as at_start
        on bridge_months.tenant_id = at_start.tenant_id
        and bridge_months.previous_month = at_start.month
    left join movement_counts
        on bridge_months.tenant_id = movement_counts.tenant_id
        and bridge_months.month = movement_counts.month

),

final as (

    select
        tenant_id,
        month,
        customers_at_start,
        new_customers,
        reactivated_customers,
        churned_customers,
        closing_customers,
        {{ decimal_ratio('churned_customers', 'customers_at_start') }} as logo_churn_rate,
        {{ decimal_ratio('contraction_mrr + churn_mrr', 'opening_mrr') }} as revenue_churn_rate,
        {{ decimal_ratio('opening_mrr - contraction_mrr - churn_mrr', 'opening_mrr') }}
            as gross_revenue_retention,
        {{ decimal_ratio(
            'opening_mrr + expansion_mrr - contraction_mrr - churn_mrr', 'opening_mrr'
        ) }} as net_revenue_retention,
        {{ decimal_ratio(
            'new_mrr + reactivation_mrr + expansion_mrr', 'contraction_mrr + churn_mrr'
        ) }} as quick_ratio

    from counted

)

select * from final
