"""Known mart rows for the serving tests (two tenants) and small request helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from warehouse import write_parquet_atomic

MART = "agg_call_kpis_daily"

#: The mart's columns and types as dbt publishes them.
KPI_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("call_date", pa.date32()),
        ("direction", pa.string()),
        ("offered", pa.int64()),
        ("answered", pa.int64()),
        ("queued", pa.int64()),
        ("abandoned", pa.int64()),
        ("answered_within_20s", pa.int64()),
        ("total_billsec", pa.int64()),
        ("asr", pa.float64()),
        ("acd_sec", pa.float64()),
        ("aht_sec", pa.float64()),
        ("abandon_rate", pa.float64()),
        ("service_level_20s", pa.float64()),
    ]
)


def kpi_row(
    tenant_id: str,
    call_date: date,
    direction: str,
    offered: int,
    answered: int,
    total_billsec: int,
    *,
    queued: int = 0,
    abandoned: int = 0,
    answered_within_20s: int = 0,
) -> dict[str, Any]:
    """A mart row with ratios derived from the counts as the dbt model defines them.

    (aht_sec needs hold and wrap-up times the mart does not carry: talk time stands in.)
    """
    return {
        "tenant_id": tenant_id,
        "call_date": call_date,
        "direction": direction,
        "offered": offered,
        "answered": answered,
        "queued": queued,
        "abandoned": abandoned,
        "answered_within_20s": answered_within_20s,
        "total_billsec": total_billsec,
        "asr": answered / offered if offered else None,
        "acd_sec": total_billsec / answered if answered else None,
        "aht_sec": total_billsec / answered if answered else None,
        "abandon_rate": abandoned / queued if queued else None,
        "service_level_20s": answered_within_20s / queued if queued else None,
    }


# acme: four days around the end of February 2024 (a leap year); globex: big, distinct numbers.
ACME_ROWS = [
    kpi_row("acme", date(2024, 2, 29), "inbound", 4, 2, 100),
    kpi_row(
        "acme",
        date(2024, 3, 1),
        "inbound",
        10,
        8,
        960,
        queued=10,
        abandoned=2,
        answered_within_20s=6,
    ),
    kpi_row("acme", date(2024, 3, 1), "outbound", 20, 5, 300),
    kpi_row("acme", date(2024, 3, 2), "inbound", 5, 0, 0, queued=5, abandoned=5),
    kpi_row("acme", date(2024, 3, 3), "inbound", 1, 1, 30, queued=1, answered_within_20s=1),
]
GLOBEX_ROWS = [
    kpi_row("globex", date(2024, 3, 1), "inbound", 999, 900, 90_000),
    kpi_row("globex", date(2024, 3, 2), "outbound", 777, 700, 70_000),
]


def write_mart(marts_dir: Path, rows: list[dict[str, Any]]) -> Path:
    table = pa.Table.from_pylist(rows, schema=KPI_SCHEMA)
    return write_parquet_atomic(table, marts_dir / f"{MART}.parquet")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
