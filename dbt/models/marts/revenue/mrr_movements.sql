{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    One row per customer and month whose MRR differs from the month before, classified by the
    macro classify_movement (FORMULAS.md precedence: new, reactivation, churn, expansion,
    contraction). Churn needs MRR to reach 0, so a customer with any subscription still active
    at the month's end never churns.
-#}

with

customer_months as (

    select * from {{ ref('int_mrr_customer_months') }}

),

-- The previous month by an equality join, not lag(): lag() defaults to 0 on ClickHouse.
with_previous as (

    select
        current_month.tenant_id as tenant_id,
        current_month.customer_id as customer_id,
        current_month.month as month,
        current_month.first_active_month as first_active_month,
        cast(coalesce(previous_month.mrr, 0) as decimal(18, 6)) as previous_mrr,
        current_month.mrr as mrr

    from customer_months as current_month
    left join customer_months as previous_month
        on current_month.tenant_id = previous_month.tenant_id
        and current_month.customer_id = previous_month.customer_id
        and current_month.previous_month = previous_month.month

),

classified as (

    select
        tenant_id,
        customer_id,
        month,
        previous_mrr,
        mrr,
        {{ classify_movement('previous_mrr', 'mrr', 'month', 'first_active_month') }}
            as movement,
        cast(abs(mrr - previous_mrr) as decimal(18, 6)) as amount

    from with_previous
    where mrr != previous_mrr

)

select * from classified
