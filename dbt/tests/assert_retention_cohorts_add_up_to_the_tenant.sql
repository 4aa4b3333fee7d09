-- Every customer is in exactly one cohort, so in every month the cohorts' retained customers and
-- retained MRR add up to the tenant's closing customers (churn_and_retention) and closing MRR
-- (mrr_bridge). A row returned here is a tenant month the cohort matrix does not account for.
with

cohort_totals as (

    select
        tenant_id,
        month,
        sum(retained_customers) as retained_customers,
        sum(retained_mrr) as retained_mrr

    from {{ ref('cohort_retention') }}
    group by tenant_id, month

),

tenant_months as (

    select
        retention.tenant_id as tenant_id,
        retention.month as month,
        retention.closing_customers as closing_customers,
        bridge.closing_mrr as closing_mrr

    from {{ ref('churn_and_retention') }} as retention
    inner join {{ ref('mrr_bridge') }} as bridge
        on retention.tenant_id = bridge.tenant_id
        and retention.month = bridge.month

)

select
    tenant_months.tenant_id,
    tenant_months.month,
    tenant_months.closing_customers,
    cohort_totals.retained_customers,
    tenant_months.closing_mrr,
    cohort_totals.retained_mrr
from tenant_months
left join cohort_totals
    on tenant_months.tenant_id = cohort_totals.tenant_id
    and tenant_months.month = cohort_totals.month
where cohort_totals.tenant_id is null
    or cohort_totals.retained_customers != tenant_months.closing_customers
    or cohort_totals.retained_mrr != tenant_months.closing_mrr
