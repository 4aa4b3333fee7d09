{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Signup cohorts: a customer's cohort is its first month with MRR > 0. One row per tenant,
    cohort and month from the cohort month to the as-of month (months_since_signup 0, 1, ...):
    mrr_by_customer_month is dense from each customer's first active month to the as-of month,
    so every cohort member has a row in every cell and no cell lies after the as-of month.
    Retained = MRR > 0 in that month, so a customer who churned and came back counts again
    (point-in-time retention, not "never churned").
-#}

with

customer_months as (

    select * from {{ ref('mrr_by_customer_month') }}

),

cohort_cells as (

    select
        tenant_id,
        first_active_month as cohort_month,
        month,
        cast(count(*) as bigint) as cohort_customers,
        cast(sum(case when mrr > 0 then 1 else 0 end) as bigint) as retained_customers,
        cast(sum(mrr) as decimal(18, 6)) as retained_mrr

    from customer_months
    group by tenant_id, first_active_month, month

),

cohort_starts as (

    select
        tenant_id,
        cohort_month,
        retained_mrr as cohort_starting_mrr

    from cohort_cells
    where month = cohort_month

),

final as (

    select
        cohort_cells.tenant_id as tenant_id,
        cohort_cells.cohort_month as cohort_month,
        cast({{ dbt.datediff('cohort_cells.cohort_month', 'cohort_cells.month', 'month') }}
            as bigint) as months_since_signup,
        cohort_cells.month as month,
        cohort_cells.cohort_customers as cohort_customers,
        cohort_cells.retained_customers as retained_customers,
        {{ decimal_ratio('cohort_cells.retained_customers', 'cohort_cells.cohort_customers') }}
            as logo_retention,
        cohort_starts.cohort_starting_mrr as cohort_starting_mrr,
        cohort_cells.retained_mrr as retained_mrr,
        {{ decimal_ratio('cohort_cells.retained_mrr', 'cohort_starts.cohort_starting_mrr') }}
            as revenue_retention

    from cohort_cells
    inner join cohort_starts
        on cohort_cells.tenant_id = cohort_starts.tenant_id
        and cohort_cells.cohort_month = cohort_starts.cohort_month

)

select * from final
