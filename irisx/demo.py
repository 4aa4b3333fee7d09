"""``irisx demo``: simulate → ingest → every asset (Dagster, in-process) → summary → API.

The composition root of the embedded profile: it uses each component through its public API and
adds no logic of its own beyond ordering and printing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from config import Settings

console = Console(highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class DemoOptions:
    days: int = 30
    tenants: int = 5
    seed: int = 7
    start: date | None = None
    serve: bool = True


@dataclass(frozen=True)
class DemoSummary:
    calls: int
    answered: int
    asr: float
    worst_day: tuple[str, date, float] | None  # tenant, day, inbound service level
    tenants: list[str]


def simulate_into_inbox(settings: Settings, options: DemoOptions) -> Path:
    from telephony.simulator import SimulationConfig, simulate, write_result

    start = options.start or (datetime.now(UTC).date() - timedelta(days=options.days))
    out_dir = settings.inbox_dir / (
        f"sim-seed{options.seed}-{options.tenants}t-{options.days}d-{start.isoformat()}"
    )
    config = SimulationConfig(
        days=options.days, tenants=options.tenants, seed=options.seed, start=start
    )
    result = simulate(config)
    write_result(result, out_dir, fmt="parquet")
    return out_dir


def summarize(settings: Settings) -> DemoSummary:
    mart = settings.marts_dir / "agg_call_kpis_daily.parquet"
    con = duckdb.connect()
    rows = con.execute(
        "select coalesce(sum(offered), 0), coalesce(sum(answered), 0) from read_parquet(?)",
        [str(mart)],
    ).fetchone()
    assert rows is not None
    calls, answered = int(rows[0]), int(rows[1])
    worst = con.execute(
        """
        select tenant_id, call_date, service_level_20s
        from read_parquet(?)
        where direction = 'inbound' and service_level_20s is not null
        order by service_level_20s asc, call_date, tenant_id
        limit 1
        """,
        [str(mart)],
    ).fetchone()
    tenants = [
        r[0]
        for r in con.execute(
            "select distinct tenant_id from read_parquet(?) order by 1", [str(mart)]
        ).fetchall()
    ]
    return DemoSummary(
        calls=calls,
        answered=answered,
        asr=answered / calls if calls else 0.0,
        worst_day=(worst[0], worst[1], float(worst[2])) if worst else None,
        tenants=tenants,
    )


def print_summary(settings: Settings, summary: DemoSummary) -> None:
    mart = settings.marts_dir / "agg_call_kpis_daily.parquet"
    table = Table(title="Calls by tenant (agg_call_kpis_daily)")
    for column in ("tenant", "calls", "ASR", "ACD s", "AHT s", "SL 20s", "abandon"):
        table.add_column(column, justify="right" if column != "tenant" else "left")
    per_tenant = (
        duckdb.connect()
        .execute(
            """
        select tenant_id, sum(offered), sum(answered) / sum(offered),
               sum(total_billsec) / nullif(sum(answered), 0),
               sum(aht_sec * answered) / nullif(sum(case when aht_sec is not null
                                                          then answered end), 0),
               sum(answered_within_20s) / nullif(sum(queued), 0),
               sum(abandoned) / nullif(sum(queued), 0)
        from read_parquet(?) group by 1 order by 1
        """,
            [str(mart)],
        )
        .fetchall()
    )

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    for tenant, calls, asr, acd, aht, sl, abandon in per_tenant:
        table.add_row(
            tenant, f"{int(calls):,}", pct(asr), num(acd), num(aht), pct(sl), pct(abandon)
        )
    console.print(table)
    console.print(f"calls: [bold]{summary.calls:,}[/bold]   ASR: [bold]{summary.asr:.1%}[/bold]")
    if summary.worst_day:
        tenant, day, level = summary.worst_day
        console.print(
            f"worst day: [bold]{tenant}[/bold] on {day.isoformat()} "
            f"(inbound service level {level:.1%} answered within 20 s)"
        )


def create_demo_key(settings: Settings, tenant_id: str) -> str:
    from serving.auth import ApiKeyStore

    _, plaintext = ApiKeyStore(settings.auth_db_path).create(tenant_id, name="demo")
    return plaintext


def run_demo(settings: Settings, options: DemoOptions) -> DemoSummary:
    started = time.monotonic()
    settings.ensure_dirs()

    console.rule("[bold]1/3 simulate")
    sim_dir = simulate_into_inbox(settings, options)
    console.print(f"wrote simulated traffic to {sim_dir} ({time.monotonic() - started:.1f}s)")

    console.rule("[bold]2/3 ingest and materialize every asset")
    from pipelines.run import run_refresh_in_process

    result, log_path = run_refresh_in_process(settings)
    console.print(f"dbt and Dagster log: {log_path}")
    if not result.success:
        raise SystemExit(f"pipeline run failed: see the lines above and {log_path}")

    console.rule("[bold]3/3 summary")
    summary = summarize(settings)
    print_summary(settings, summary)
    console.print(f"total wall time: {time.monotonic() - started:.1f}s")

    if summary.tenants:
        key = create_demo_key(settings, summary.tenants[0])
        base = f"http://{settings.api_host}:{settings.api_port}"
        console.print(
            f"\nAPI key for tenant [bold]{summary.tenants[0]}[/bold] (shown once): {key}\n"
            f"  curl -H 'Authorization: Bearer {key}' '{base}/v1/kpis/calls/daily'"
        )
    if options.serve:
        import uvicorn

        from serving.app import create_app

        console.print(f"serving the API on {base} (Ctrl-C to stop; docs at {base}/docs)")
        uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)
    return summary
