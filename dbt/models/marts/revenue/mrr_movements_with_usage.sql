{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    MRR movements on total_mrr (committed MRR + usage run-rate) of usage_aware_mrr, classified by
    the macro classify_movement shared with mrr_movements (new, reactivation, churn, expansion,
    contraction).
    One row per customer and month whose total MRR differs from the month before. mrr_movements
    keeps reporting the same movements without usage.
-#}

with

customer_months as (

    select * from {{ ref('usage_aware_mrr') }}

),

first_active_months as (

    select tenant_id, customer_id, min(month) as first_active_month
    from customer_months
    where total_mrr > 0
    group by tenant_id, customer_id

),

-- The previous month by an equality join, not lag(): lag() defaults to 0 on ClickHouse.
with_previous as (

    select
        current_month.tenant_id as tenant_id,
        current_month.customer_id as customer_id,
        current_month.month as month,
        first_active_months.first_active_month as first_active_month,
        cast(coalesce(previous_month.total_mrr, 0) as decimal(38, 6)) as previous_total_mrr,
        current_month.total_mrr as total_mrr
    from customer_months as current_month
    left join customer_months as previous_month
        on current_month.tenant_id = previous_month.tenant_id
        and current_month.customer_id = previous_month.customer_id
        and {{ add_months('current_month.month', -1) }} = previous_month.month
    left join first_active_months
        on current_month.tenant_id = first_active_months.tenant_id
        and current_month.customer_id = first_active_months.customer_id

),

classified as (

    select
        tenant_id,
        customer_id,
        month,
        previous_total_mrr,
        total_mrr,
        {{ classify_movement('previous_total_mrr', 'total_mrr', 'month', 'first_active_month') }}
            as movement,
        cast(abs(total_mrr - previous_total_mrr) as decimal(38, 6)) as amount
    from with_previous
    where total_mrr != previous_total_mrr

)

select * from classified
