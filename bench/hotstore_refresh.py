"""What the live minute rollups cost PostgreSQL while the stream worker loads calls.

200,000 simulated calls in start order (as live traffic arrives) go through
``HotStoreSink.write_batch`` in batches of 4,000 (a worker fetch of four 1,000-event messages),
in two shapes: as simulated, over yesterday and today ("2 days"), and with every call moved so
that their starts span the last 10 minutes ("live": ~330 calls/s, so a refresh recomputes
minutes of ~20,000 calls each, as a busy live stream makes it). Each mode and shape loads into
its own fresh database:

- no refresh (the baseline: what the inserts alone cost);
- a refresh at most every 0.5 s (``refresh_cost_factor=1``: the interval rule alone);
- a refresh at most every 0.5 s and no sooner than 4x the last refresh's duration after it (the
  default).

Measured: wall time, PostgreSQL CPU (all its processes, from /proc, so run it on an otherwise
idle PostgreSQL), refreshes run and the longest one. After the load every mode flushes, and the
rollups must count every call (checked).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from bench import BenchResult
from bench.server_pipeline import cpu_seconds, pids_named, simulated_calls
from warehouse.hotstore import PostgresHotStore
from warehouse.sinks import HotStoreSink

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
ROWS = 200_000
BATCH = 4_000
MODES: tuple[tuple[str, bool, float], ...] = (
    ("no refresh (baseline)", False, 1.0),
    ("refresh every 0.5 s", True, 1.0),
    ("every 0.5 s, >= 4x the last refresh (default)", True, 4.0),
)


def _calls() -> pa.Table:
    """server_pipeline's simulated calls of yesterday and today, in start order."""
    table = simulated_calls(ROWS)
    return table.take(pc.sort_indices(table.column("start_at")))


def _live(table: pa.Table, span: timedelta = timedelta(minutes=10)) -> pa.Table:
    """The calls moved (each keeping its own durations) so that their starts span ``span``
    ending now, in the same order."""
    starts = table.column("start_at").cast(pa.int64()).to_numpy()
    first, last = int(starts[0]), int(starts[-1])
    end = int(datetime.now(UTC).timestamp() * 1e6)
    target = end - span // timedelta(microseconds=1)
    moved = target + (starts - first) * (span // timedelta(microseconds=1)) // max(last - first, 1)
    shift = pa.array(moved - starts)
    for index, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            micros = pc.add(table.column(index).cast(pa.int64()), shift)
            table = table.set_column(index, field, micros.cast(field.type))
    return table


def _postgres_cpu_s() -> float:
    """CPU seconds used so far by every PostgreSQL process of this machine."""
    return cpu_seconds(pids_named("postgres"))


def _load(table: pa.Table, refresh: bool, factor: float) -> dict[str, float]:
    name = f"bench_refresh_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={name}"
    try:
        sink = HotStoreSink(
            PostgresHotStore(dsn), refresh_rollups=refresh, refresh_cost_factor=factor
        )
        sink.store.migrate()
        longest = 0.0
        cpu_before, began = _postgres_cpu_s(), time.perf_counter()
        for offset in range(0, table.num_rows, BATCH):
            sink.write_batch("call", table.slice(offset, BATCH), f"b{offset}")
            longest = max(longest, sink.last_refresh_s)
        elapsed, cpu = time.perf_counter() - began, _postgres_cpu_s() - cpu_before
        refreshes = sink.refreshes
        sink.refresh_rollups = True
        sink.flush()
        (offered,) = sink.store.conn.execute(
            "select coalesce(sum(offered), 0) from call_minute_rollup"
        ).fetchone()  # type: ignore[misc]
        sink.close()
        if refresh and offered != table.num_rows:
            raise RuntimeError(f"rollups count {offered} calls, loaded {table.num_rows}")
        return {"s": elapsed, "cpu": cpu, "refreshes": refreshes, "longest": longest}
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")


def run() -> BenchResult:
    spread = _calls()
    rows: list[list[str]] = []
    for shape, table in (("2 days", spread), ("live", _live(spread))):
        measured = [(label, _load(table, refresh, factor)) for label, refresh, factor in MODES]
        base_cpu = measured[0][1]["cpu"]
        rows += [
            [
                f"{shape}: {label}",
                f"{ROWS / m['s']:,.0f}",
                f"{1e6 * m['cpu'] / ROWS:.1f}",
                f"{m['cpu'] / base_cpu:.2f}x",
                f"{m['refreshes']:.0f}",
                f"{m['longest']:.2f}",
            ]
            for label, m in measured
        ]
    return BenchResult(
        title=f"hotstore_refresh: {ROWS:,} calls in start order, batches of {BATCH:,}",
        columns=[
            "mode",
            "rows/s",
            "PostgreSQL CPU us/row",
            "vs no refresh",
            "refreshes",
            "longest s",
        ],
        rows=rows,
        notes=[
            "PostgreSQL CPU: all postgres processes (/proc); keep the server otherwise idle.",
            "After the load each mode flushes; the rollups counted every call.",
        ],
    )
