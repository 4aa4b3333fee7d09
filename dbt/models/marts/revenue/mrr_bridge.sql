{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Per tenant and month: opening MRR (the month before's closing) + new + reactivation +
    expansion - contraction - churn = closing MRR. Months from the tenant's first month with MRR
    to the as-of month.
-#}

with

customer_months as (

    select * from {{ ref('mrr_by_customer_month') }}

),

movements as (

    select * from {{ ref('mrr_movements') }}

),

closing as (

    select
        tenant_id,
        month,
        {{ add_months('month', '-1') }} as previous_month,
        sum(mrr) as closing_mrr

    from customer_months
    group by tenant_id, month

),

movement_totals as (

    select
        tenant_id,
        month,
        sum(case when movement = 'new' then amount else 0 end) as new_mrr,
        sum(case when movement = 'reactivation' then amount else 0 end) as reactivation_mrr,
        sum(case when movement = 'expansion' then amount else 0 end) as expansion_mrr,
        sum(case when movement = 'contraction' then amount else 0 end) as contraction_mrr,
        sum(case when movement = 'churn' then amount else 0 end) as churn_mrr

    from movements
    group by tenant_id, month

),

final as (

    select
        closing.tenant_id as tenant_id,
        closing.month as month,
        cast(coalesce(opening.closing_mrr, 0) as decimal(18, 6)) as opening_mrr,
        cast(coalesce(movement_totals.new_mrr, 0) as decimal(18, 6)) as new_mrr,
        cast(coalesce(movement_totals.reactivation_mrr, 0) as decimal(18, 6))
            as reactivation_mrr,
        cast(coalesce(movement_totals.expansion_mrr, 0) as decimal(18, 6)) as expansion_mrr,
        cast(coalesce(movement_totals.contraction_mrr, 0) as decimal(18, 6))
            as contraction_mrr,
        cast(coalesce(movement_totals.churn_mrr, 0) as decimal(18, 6)) as churn_mrr,
        cast(closing.closing_mrr as decimal(18, 6)) as closing_mrr

    from closing
    left join closing as opening
        on closing.tenant_id = opening.tenant_id
        and closing.previous_month = opening.month
    left join movement_totals
        on closing.tenant_id = movement_totals.tenant_id
        and closing.month = movement_totals.month

)

select * from final
