{{
    config(
        materialized='external' if target.type == 'duckdb' else 'table',
        options={'use_tmp_file': 'true'} if target.type == 'duckdb' else {},
        tags=['published'],
    )
}}
{#-
    Committed (plan) MRR beside usage per tenant, customer and month (docs/revenue.md, "Usage
    revenue and usage-aware MRR"). usage_run_rate = usage revenue of the three most recent
    complete months ending with this one / the number of those months in the customer's history
    (0 to 3; NULL when there is none: nothing to normalise). The as-of month is never complete,
    so its run-rate is that of the three months before it. total_mrr = committed_mrr + the
    run-rate (0 while there is none). overage = usage revenue of the month above the plans'
    included allowance, never below 0; NULL when no active plan states an allowance.
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
        included_usage_amount,
        cast(
            case
                when included_usage_amount is null then null
                when usage_revenue > included_usage_amount
                    then usage_revenue - included_usage_amount
                else 0
            end as decimal(18, 6)
        ) as overage,
        cast(
            committed_mrr
            + coalesce({{ decimal_ratio('trailing_usage_revenue', 'run_rate_months') }}, 0)
            as decimal(38, 6)
        ) as total_mrr
    from customer_months

)

select * from final
