{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Committed (plan) MRR beside usage per tenant, customer and month (docs/revenue.md, "Usage
    revenue and usage-aware MRR"). usage_run_rate = usage revenue of the three months ending
    with this one / the number of those months in the customer's history (1, 2 or 3).
    overage is NULL: subscription periods carry no included allowance, so usage above the plan
    cannot be told from usage inside it.
-#}

with

customer_months as (

    select * from {{ ref('int_usage_customer_months') }}

),

final as (

    select
        tenant_id,
        customer_id,
        month,
        committed_mrr,
        usage_revenue,
        unrated_usage_units,
        run_rate_months,
        trailing_usage_revenue,
        {{ decimal_ratio('trailing_usage_revenue', 'run_rate_months') }} as usage_run_rate,
        cast(null as decimal(18, 6)) as overage,
        cast(
            committed_mrr + {{ decimal_ratio('trailing_usage_revenue', 'run_rate_months') }}
            as decimal(38, 6)
        ) as total_mrr
    from customer_months

)

select * from final
