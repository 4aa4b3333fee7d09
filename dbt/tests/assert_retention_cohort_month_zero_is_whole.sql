-- cohort_retention: in its signup month (months_since_signup 0) a cohort keeps every customer and
-- all of its MRR. A row returned here is a cohort whose month 0 is not whole.
select
    tenant_id,
    cohort_month,
    cohort_customers,
    retained_customers,
    logo_retention,
    cohort_starting_mrr,
    retained_mrr,
    revenue_retention
from {{ ref('cohort_retention') }}
where months_since_signup = 0
    and (
        month != cohort_month
        or retained_customers != cohort_customers
        or logo_retention != 1
        or retained_mrr != cohort_starting_mrr
        or revenue_retention != 1
    )
