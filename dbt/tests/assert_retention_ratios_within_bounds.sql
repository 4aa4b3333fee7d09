-- Bounds that follow from the definitions (docs/revenue.md): churned customers and lost MRR come
-- out of what was there at the month's start, so logo churn, revenue churn and GRR lie in [0, 1];
-- NRR and the quick ratio are >= 0; cohort logo retention lies in [0, 1]; LTV is set exactly
-- when ltv_status is ok. A row returned here names the mart and the key that breaks a bound.
select
    'churn_and_retention' as mart,
    tenant_id,
    month
from {{ ref('churn_and_retention') }}
where logo_churn_rate < 0 or logo_churn_rate > 1
    or revenue_churn_rate < 0 or revenue_churn_rate > 1
    or gross_revenue_retention < 0 or gross_revenue_retention > 1
    or net_revenue_retention < 0
    or quick_ratio < 0

union all

select
    'cohort_retention' as mart,
    tenant_id,
    month
from {{ ref('cohort_retention') }}
where logo_retention < 0 or logo_retention > 1 or revenue_retention < 0

union all

select
    'customer_ltv' as mart,
    tenant_id,
    month
from {{ ref('customer_ltv') }}
where (ltv_status = 'ok') != (ltv is not null)
