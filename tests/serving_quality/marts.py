"""Hand-made rows of the marts behind /v1/quality, /v1/ops and /v1/campaigns, with the columns
and types dbt publishes (dbt/models/marts/quality, voice_ops yml). Two tenants whose rows share
ids (agent-7, q1, camp-1) so that a leak of the other tenant's rows would show.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

ACME_CALL = "0f9d3c1e-52a4-4c39-9b1e-1a2b3c4d5e6f"
GLOBEX_CALL = "7b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
NO_SUCH_CALL = "00000000-0000-4000-8000-000000000000"

_STR, _INT, _DBL, _DATE, _BOOL = pa.string(), pa.int64(), pa.float64(), pa.date32(), pa.bool_()
_TS = pa.timestamp("us", tz="UTC")

CALL_QUALITY_SCHEMA = pa.schema(
    [
        ("tenant_id", _STR), ("call_id", _STR), ("codec", _STR), ("reports", _INT),
        ("legs", _INT), ("mos", _DBL), ("r_factor", _DBL), ("worst_leg", _STR),
        ("worst_leg_mos", _DBL), ("min_report_mos", _DBL), ("loss_pct", _DBL),
        ("jitter_ms", _DBL), ("rtt_ms", _DBL), ("one_way_delay_ms", _DBL), ("is_poor", _BOOL),
        ("dominant_impairment", _STR),
    ]
)  # fmt: skip
CALL_QUALITY_LEGS_SCHEMA = pa.schema(
    [
        ("tenant_id", _STR), ("call_id", _STR), ("leg", _STR), ("codec", _STR),
        ("reports", _INT), ("seconds", _DBL), ("mos", _DBL), ("r_factor", _DBL),
        ("min_report_mos", _DBL), ("loss_pct", _DBL), ("jitter_ms", _DBL), ("rtt_ms", _DBL),
        ("network_delay_ms", _DBL), ("jitter_buffer_ms", _DBL), ("one_way_delay_ms", _DBL),
        ("idd", _DBL), ("ie", _DBL), ("loss_impairment", _DBL), ("dominant_impairment", _STR),
    ]
)  # fmt: skip

_PERCENTILES = [
    "mos_mean", "mos_p5", "mos_p50", "poor_calls", "poor_share", "jitter_ms_p50",
    "jitter_ms_p95", "loss_pct_p50", "loss_pct_p95", "rtt_ms_p50", "rtt_ms_p95",
]  # fmt: skip
QUALITY_BY_AGENT_DAY_SCHEMA = pa.schema(
    [("tenant_id", _STR), ("agent_id", _STR), ("call_date", _DATE), ("calls", _INT)]
    + [(name, _INT if name == "poor_calls" else _DBL) for name in _PERCENTILES]
)
QUEUE_INTERVAL_STATS_SCHEMA = pa.schema(
    [
        ("tenant_id", _STR), ("queue_id", _STR), ("interval_start", _TS),
        ("interval_date", _DATE), ("offered", _INT), ("handled", _INT), ("abandoned", _INT),
        ("answered_within_20s", _INT), ("service_level_20s", _DBL), ("abandon_rate", _DBL),
        ("asa_sec", _DBL), ("aht_sec", _DBL), ("staffed_sec", _DBL), ("busy_sec", _DBL),
        ("occupancy", _DBL),
    ]
)  # fmt: skip
AGENT_PERFORMANCE_DAILY_SCHEMA = pa.schema(
    [
        ("tenant_id", _STR), ("agent_id", _STR), ("activity_date", _DATE), ("handled", _INT),
        ("talk_sec", _INT), ("hold_sec", _INT), ("wrapup_sec", _INT), ("aht_sec", _DBL),
        ("staffed_sec", _DBL), ("busy_sec", _DBL), ("not_ready_sec", _DBL),
        ("occupancy", _DBL), ("adherence", _DBL),
    ]
)  # fmt: skip
_FUNNEL_COUNTS = [
    "attempts", "dialled", "live_connects", "agent_connects", "right_party_contacts",
    "conversions", "abandoned", "voicemail", "no_answer", "busy", "failed", "dnc_blocks",
    "curfew_blocks", "dispositioned",
]  # fmt: skip
CAMPAIGN_FUNNEL_SCHEMA = pa.schema(
    [("tenant_id", _STR), ("campaign_id", _STR), ("dial_mode", _STR), ("attempt_date", _DATE)]
    + [(name, _INT) for name in _FUNNEL_COUNTS]
    + [("contact_rate", _DBL), ("conversion_rate", _DBL), ("abandonment_rate", _DBL)]
    + [("abandoned_30d", _INT), ("live_connects_30d", _INT), ("abandonment_rate_30d", _DBL)]
    + [("exceeds_3pct_rule", _BOOL)]
)


def call_quality_row(tenant: str, call_id: str, mos: float, **changes: Any) -> dict[str, Any]:
    row = {
        "tenant_id": tenant, "call_id": call_id, "codec": "PCMU", "reports": 12, "legs": 2,
        "mos": mos, "r_factor": 80.5, "worst_leg": "b", "worst_leg_mos": 3.9,
        "min_report_mos": 3.2, "loss_pct": 2.5, "jitter_ms": 12.25, "rtt_ms": None,
        "one_way_delay_ms": 60.0, "is_poor": False, "dominant_impairment": "loss",
    }  # fmt: skip
    return {**row, **changes}


def leg_row(tenant: str, call_id: str, leg: str, loss_impairment: float) -> dict[str, Any]:
    """A PCMU leg with 60 ms one-way delay (Idd 0): R = 93.2 - 0 - 0 - loss_impairment."""
    return {
        "tenant_id": tenant, "call_id": call_id, "leg": leg, "codec": "PCMU", "reports": 6,
        "seconds": 30.0, "mos": 4.0, "r_factor": round(93.2 - loss_impairment, 4),
        "min_report_mos": 3.2, "loss_pct": 2.5, "jitter_ms": 12.25, "rtt_ms": None,
        "network_delay_ms": 0.0, "jitter_buffer_ms": 24.5, "one_way_delay_ms": 44.5,
        "idd": 0.0, "ie": 0.0, "loss_impairment": loss_impairment,
        "dominant_impairment": "loss" if loss_impairment >= 5 else "none",
    }  # fmt: skip


def agent_quality_row(tenant: str, agent: str, day: date, calls: int) -> dict[str, Any]:
    """poor_calls = 1 of ``calls``: poor_share = 1 / calls."""
    row: dict[str, Any] = {"tenant_id": tenant, "agent_id": agent, "call_date": day}
    row |= {name: 4.0 for name in _PERCENTILES}
    return row | {"calls": calls, "poor_calls": 1, "poor_share": 1 / calls, "rtt_ms_p50": None}


def queue_row(tenant: str, queue: str, start: datetime, offered: int) -> dict[str, Any]:
    """``offered`` calls, all handled within 20 s but one abandoned."""
    return {
        "tenant_id": tenant, "queue_id": queue, "interval_start": start,
        "interval_date": start.date(), "offered": offered, "handled": offered - 1,
        "abandoned": 1, "answered_within_20s": offered - 1,
        "service_level_20s": (offered - 1) / offered, "abandon_rate": 1 / offered,
        "asa_sec": 8.5, "aht_sec": 240.0, "staffed_sec": 1800.0, "busy_sec": 900.0,
        "occupancy": 0.5,
    }  # fmt: skip


def agent_day_row(tenant: str, agent: str, day: date, handled: int) -> dict[str, Any]:
    """``handled`` calls of 100 s talk, 20 s hold, 30 s wrap-up each: AHT 150 s."""
    return {
        "tenant_id": tenant, "agent_id": agent, "activity_date": day, "handled": handled,
        "talk_sec": 100 * handled, "hold_sec": 20 * handled, "wrapup_sec": 30 * handled,
        "aht_sec": 150.0 if handled else None, "staffed_sec": 28800.0, "busy_sec": 21600.0,
        "not_ready_sec": 3600.0, "occupancy": 0.75, "adherence": None,
    }  # fmt: skip


def funnel_row(
    tenant: str, campaign: str, mode: str, day: date, abandoned: int, live: int
) -> dict[str, Any]:
    """100 attempts, 90 dialled, ``live`` live connects of which ``abandoned`` were dropped."""
    counts = {name: 0 for name in _FUNNEL_COUNTS}
    counts |= {"attempts": 100, "dialled": 90, "live_connects": live, "abandoned": abandoned}
    return {
        "tenant_id": tenant, "campaign_id": campaign, "dial_mode": mode, "attempt_date": day,
        **counts, "contact_rate": live / 90, "conversion_rate": None,
        "abandonment_rate": abandoned / live, "abandoned_30d": abandoned,
        "live_connects_30d": live, "abandonment_rate_30d": abandoned / live,
        "exceeds_3pct_rule": mode == "predictive" and abandoned / live > 0.03,
    }  # fmt: skip


def _at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC)


def hand_marts() -> dict[str, pa.Table]:
    """The marts, tenants interleaved so that file order never separates them."""
    may = [date(2024, 5, day) for day in range(1, 32)]
    rows: dict[str, tuple[pa.Schema, list[dict[str, Any]]]] = {
        "call_quality": (CALL_QUALITY_SCHEMA, [
            call_quality_row("acme", ACME_CALL, 4.1234, rtt_ms=48.5),
            call_quality_row("globex", GLOBEX_CALL, 2.5, is_poor=True),
        ]),
        "call_quality_legs": (CALL_QUALITY_LEGS_SCHEMA, [
            leg_row("acme", ACME_CALL, "b", 12.7),
            leg_row("globex", ACME_CALL, "a", 50.0),  # same id at another tenant: never acme's
            leg_row("acme", ACME_CALL, "a", 0.5),
            leg_row("globex", GLOBEX_CALL, "a", 40.0),
        ]),
        "quality_by_agent_day": (QUALITY_BY_AGENT_DAY_SCHEMA, [
            agent_quality_row("acme", "agent-7", may[0], 4),
            agent_quality_row("globex", "agent-7", may[1], 99),
            agent_quality_row("acme", "agent-9", may[1], 2),
            agent_quality_row("acme", "agent-7", may[1], 5),
            agent_quality_row("acme", "agent-7", may[2], 10),
        ]),
        "queue_interval_stats": (QUEUE_INTERVAL_STATS_SCHEMA, [
            queue_row("acme", "q1", _at(1, 9, 0), 4),
            queue_row("acme", "q1", _at(1, 9, 15), 5),
            queue_row("globex", "q1", _at(2, 9, 0), 99),
            queue_row("acme", "q2", _at(2, 0, 0), 2),
            queue_row("acme", "q1", _at(2, 23, 45), 8),
        ]),
        "agent_performance_daily": (AGENT_PERFORMANCE_DAILY_SCHEMA, [
            agent_day_row("acme", "agent-7", date(2024, 4, 30), 3),
            agent_day_row("globex", "agent-7", may[0], 99),
            agent_day_row("acme", "agent-7", may[0], 6),
            agent_day_row("acme", "agent-9", may[1], 0),
            agent_day_row("acme", "agent-7", may[1], 2),
        ]),
        "campaign_funnel": (CAMPAIGN_FUNNEL_SCHEMA, [
            funnel_row("acme", "camp-1", "predictive", date(2024, 1, 15), 1, 50),
            funnel_row("acme", "camp-1", "predictive", may[0], 2, 40),
            funnel_row("globex", "camp-1", "predictive", may[0], 9, 10),
            funnel_row("acme", "camp-1", "preview", may[0], 0, 30),
            funnel_row("acme", "camp-1", "predictive", may[1], 1, 50),
            funnel_row("globex", "camp-2", "progressive", may[1], 0, 10),
        ]),
    }  # fmt: skip
    return {
        mart: pa.Table.from_pylist(mart_rows, schema=schema)
        for mart, (schema, mart_rows) in rows.items()
    }
