"""The marts the API serves (by dbt model name)."""

from __future__ import annotations

CALL_KPIS_DAILY = "agg_call_kpis_daily"
MRR_BY_CUSTOMER_MONTH = "mrr_by_customer_month"
MRR_MOVEMENTS = "mrr_movements"
MRR_BRIDGE = "mrr_bridge"
CHURN_AND_RETENTION = "churn_and_retention"
COHORT_RETENTION = "cohort_retention"

#: Marts /healthz reports on; a missing one makes the API 'degraded' (the demo publishes them all).
SERVED_MARTS: tuple[str, ...] = (CALL_KPIS_DAILY,)
#: Revenue marts behind /v1/revenue/* (a missing one answers that endpoint with a 503 problem).
REVENUE_MARTS: tuple[str, ...] = (
    MRR_BY_CUSTOMER_MONTH,
    MRR_MOVEMENTS,
    MRR_BRIDGE,
    CHURN_AND_RETENTION,
    COHORT_RETENTION,
)
