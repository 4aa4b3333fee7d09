-- Every month: opening + new + reactivation + expansion - contraction - churn = closing, exactly
-- (decimals, no rounding). A row returned here is a month whose movements do not explain MRR.
select
    tenant_id,
    month,
    opening_mrr,
    new_mrr,
    reactivation_mrr,
    expansion_mrr,
    contraction_mrr,
    churn_mrr,
    closing_mrr
from {{ ref('mrr_bridge') }}
where opening_mrr + new_mrr + reactivation_mrr + expansion_mrr - contraction_mrr - churn_mrr
    != closing_mrr
