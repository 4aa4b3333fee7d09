"""The marts the API serves (by dbt model name)."""

from __future__ import annotations

CALL_KPIS_DAILY = "agg_call_kpis_daily"

#: Every mart an endpoint reads; /healthz reports each one's publication.
SERVED_MARTS: tuple[str, ...] = (CALL_KPIS_DAILY,)
