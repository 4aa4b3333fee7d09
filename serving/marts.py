"""The marts the API serves (by dbt model name)."""

from __future__ import annotations

CALL_KPIS_DAILY = "agg_call_kpis_daily"
MRR_BY_CUSTOMER_MONTH = "mrr_by_customer_month"
MRR_MOVEMENTS = "mrr_movements"
MRR_BRIDGE = "mrr_bridge"
CHURN_AND_RETENTION = "churn_and_retention"
COHORT_RETENTION = "cohort_retention"
CUSTOMER_LTV = "customer_ltv"
USAGE_AWARE_MRR = "usage_aware_mrr"
MRR_MOVEMENTS_WITH_USAGE = "mrr_movements_with_usage"
PAYMENT_RECOVERY = "payment_recovery"
CREDIT_BALANCES = "credit_balances"
SPEND_ALERTS = "spend_alerts"
CALL_QUALITY = "call_quality"
CALL_QUALITY_LEGS = "call_quality_legs"
QUALITY_BY_AGENT_DAY = "quality_by_agent_day"
QUEUE_INTERVAL_STATS = "queue_interval_stats"
AGENT_PERFORMANCE_DAILY = "agent_performance_daily"
CAMPAIGN_FUNNEL = "campaign_funnel"
CARRIER_SCORECARD = "carrier_scorecard"
QUALITY_ALERTS = "quality_alerts"
QUALITY_REVENUE_IMPACT = "quality_revenue_impact"
# Published by the WFM pipeline (pipelines/wfm), not by dbt.
FORECAST_INTERVALS = "forecast_intervals"
STAFFING_REQUIREMENTS = "staffing_requirements"
FORECAST_ACCURACY = "forecast_accuracy"
# Published by the anomaly pipeline (pipelines/anomaly), not by dbt.
ANOMALIES = "anomalies"
INCIDENTS = "incidents"

#: Marts /healthz reports on; a missing one makes the API 'degraded' (the demo publishes them all).
SERVED_MARTS: tuple[str, ...] = (CALL_KPIS_DAILY,)
#: Revenue marts behind /v1/revenue/* (a missing one answers that endpoint with a 503 problem).
REVENUE_MARTS: tuple[str, ...] = (
    MRR_BY_CUSTOMER_MONTH,
    MRR_MOVEMENTS,
    MRR_BRIDGE,
    CHURN_AND_RETENTION,
    COHORT_RETENTION,
    CUSTOMER_LTV,
    USAGE_AWARE_MRR,
    MRR_MOVEMENTS_WITH_USAGE,
    PAYMENT_RECOVERY,
    CREDIT_BALANCES,
    SPEND_ALERTS,
)
