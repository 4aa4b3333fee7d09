"""``irisx wfm schedule`` (shifts from required agents) and ``irisx wfm plan import`` (interval
plans for the service_level_variance mart).

These join the ``wfm`` group that ``irisx/commands/wfm.py`` creates (it must be registered
first; cli.COMMAND_MODULES lists this module after it), so the staffing and planning commands
live in separate modules.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

    from models_ml.wfm.scheduling import Schedule, ShiftTemplate

#: Shift templates used without --templates (times of day UTC, like the requirements).
DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "full_8h",
        "length_minutes": 480,
        "earliest_start": "06:00",
        "latest_start": "14:00",
        "breaks": [
            {"kind": "break", "duration_minutes": 15, "earliest_offset_minutes": 90,
             "latest_offset_minutes": 150},
            {"kind": "lunch", "duration_minutes": 30, "earliest_offset_minutes": 210,
             "latest_offset_minutes": 300},
            {"kind": "break", "duration_minutes": 15, "earliest_offset_minutes": 330,
             "latest_offset_minutes": 390},
        ],
    },
    {
        "name": "part_4h",
        "length_minutes": 240,
        "earliest_start": "06:00",
        "latest_start": "20:00",
        "breaks": [
            {"kind": "break", "duration_minutes": 15, "earliest_offset_minutes": 90,
             "latest_offset_minutes": 150},
        ],
    },
]  # fmt: skip


def default_templates(interval_minutes: int) -> list[dict[str, Any]]:
    """DEFAULT_TEMPLATES fitted to the interval: break and lunch lengths rounded up to whole
    intervals, window bounds rounded inwards (earliest up, latest down, never before earliest)."""

    def up(minutes: int) -> int:
        return -(-minutes // interval_minutes) * interval_minutes

    fitted = []
    for template in DEFAULT_TEMPLATES:
        breaks = []
        for rule in template["breaks"]:
            earliest = up(rule["earliest_offset_minutes"])
            latest = rule["latest_offset_minutes"] // interval_minutes * interval_minutes
            breaks.append(
                {
                    **rule,
                    "duration_minutes": up(rule["duration_minutes"]),
                    "earliest_offset_minutes": earliest,
                    "latest_offset_minutes": max(earliest, latest),
                }
            )
        fitted.append({**template, "breaks": breaks})
    return fitted


class OutputFormat(StrEnum):
    JSON = "json"
    SHIFTS_CSV = "shifts-csv"
    COVERAGE_CSV = "coverage-csv"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_templates(raw: list[dict[str, Any]], interval_minutes: int) -> list[ShiftTemplate]:
    """Templates from JSON: ``start_times`` ("HH:MM" list) or ``earliest_start``/``latest_start``
    (every interval between them, inclusive)."""
    from models_ml.wfm.scheduling import BreakRule, ShiftTemplate

    templates = []
    for item in raw:
        if "start_times" in item:
            starts = tuple(_minutes(t) for t in item["start_times"])
        else:
            first, last = _minutes(item["earliest_start"]), _minutes(item["latest_start"])
            starts = tuple(range(first, last + 1, interval_minutes))
        templates.append(
            ShiftTemplate(
                name=str(item["name"]),
                length_minutes=int(item["length_minutes"]),
                start_times_minutes=starts,
                breaks=tuple(
                    BreakRule(
                        kind=str(b["kind"]),
                        duration_minutes=int(b["duration_minutes"]),
                        earliest_offset_minutes=int(b["earliest_offset_minutes"]),
                        latest_offset_minutes=int(b["latest_offset_minutes"]),
                    )
                    for b in item.get("breaks", [])
                ),
            )
        )
    return templates


def read_requirements(path: Path) -> tuple[datetime, int, list[int]]:
    """Horizon start, interval minutes and required agents from a CSV of ``interval_start``
    (ISO 8601, UTC when no offset) and ``required_agents``: consecutive, equally spaced
    intervals from a UTC midnight."""
    import pandas as pd

    frame = pd.read_csv(path)
    missing = {"interval_start", "required_agents"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    if frame.empty:
        raise ValueError(f"{path}: no intervals")
    starts = pd.to_datetime(frame["interval_start"], utc=True)
    steps = starts.diff().dropna().unique()
    if len(frame) > 1 and (len(steps) != 1 or steps[0] <= pd.Timedelta(0)):
        raise ValueError(f"{path}: intervals must be consecutive and equally spaced")
    minutes = int(pd.Timedelta(steps[0]).total_seconds() // 60) if len(frame) > 1 else 30
    first = starts.iloc[0].to_pydatetime().astimezone(UTC)
    if first != first.replace(hour=0, minute=0, second=0, microsecond=0):
        raise ValueError(f"{path}: the first interval must start at 00:00 UTC")
    required = frame["required_agents"]
    if (required < 0).any() or (required % 1 != 0).any():
        raise ValueError(f"{path}: required_agents must be whole numbers >= 0")
    return first, minutes, [int(v) for v in required]


def schedule_json(schedule: Schedule, horizon_start: datetime) -> dict[str, Any]:
    step = timedelta(minutes=schedule.interval_minutes)

    def when(index: int) -> str:
        return (horizon_start + index * step).isoformat().replace("+00:00", "Z")

    coverage = schedule.coverage()
    return {
        "interval_minutes": schedule.interval_minutes,
        "summary": {
            "shifts": len(schedule.shifts),
            "agents": len({s.agent for s in schedule.shifts}),
            "required_agent_intervals": int(coverage["required"].sum()),
            "scheduled_agent_intervals": int(coverage["scheduled"].sum()),
            "over_agent_intervals": int(coverage["over"].sum()),
            "under_agent_intervals": int(coverage["under"].sum()),
            "understaffed_intervals": int((coverage["under"] > 0).sum()),
            "overstaffed_intervals": int((coverage["over"] > 0).sum()),
        },
        "shifts": [
            {
                "agent": f"agent-{s.agent}",
                "template": s.template,
                "start": when(s.start),
                "end": when(s.end),
                "breaks": [
                    {"kind": b.kind, "start": when(b.start), "end": when(b.end)} for b in s.breaks
                ],
            }
            for s in schedule.shifts
        ],
        "coverage": [
            {
                "interval_start": when(int(row.interval)),
                "required": int(row.required),
                "scheduled": int(row.scheduled),
                "over": int(row.over),
                "under": int(row.under),
            }
            for row in coverage.itertuples(index=False)
        ],
    }


def _csv(frame: pd.DataFrame) -> str:
    return str(frame.to_csv(index=False, lineterminator="\n"))


def register(app: typer.Typer) -> None:
    group = next((g.typer_instance for g in app.registered_groups if g.name == "wfm"), None)
    if group is None:  # wfm.py not registered (yet): give the commands their own group
        group = typer.Typer(help="Workforce management.", no_args_is_help=True)
        app.add_typer(group, name="wfm")

    @group.command("schedule")
    def schedule_command(
        requirements: Annotated[
            Path,
            typer.Option(
                help="CSV: interval_start (ISO 8601, UTC; from a midnight, equally spaced), "
                "required_agents",
                exists=True,
                dir_okay=False,
            ),
        ],
        templates: Annotated[
            Path | None,
            typer.Option(
                help="JSON list of shift templates (docs/wfm.md); default: 8 h with two breaks "
                "and lunch, 4 h with one break",
                exists=True,
                dir_okay=False,
            ),
        ] = None,
        max_daily_hours: Annotated[float, typer.Option(min=1, max=24)] = 10.0,
        max_weekly_hours: Annotated[float, typer.Option(min=1, max=168)] = 40.0,
        min_rest_hours: Annotated[float, typer.Option(min=0, max=48)] = 11.0,
        min_gain: Annotated[
            int,
            typer.Option(
                min=1, help="Stop when the best shift covers fewer under-staffed agent-intervals"
            ),
        ] = 1,
        output_format: Annotated[
            OutputFormat, typer.Option("--format", help="json, shifts-csv or coverage-csv")
        ] = OutputFormat.JSON,
    ) -> None:
        """Build shifts greedily from required agents per interval; print shifts and coverage."""
        from models_ml.wfm.scheduling import SchedulingRules, build_schedule

        try:
            start, minutes, required = read_requirements(requirements)
            raw = json.loads(templates.read_text()) if templates else default_templates(minutes)
            rules = SchedulingRules(max_daily_hours, max_weekly_hours, min_rest_hours, min_gain)
            schedule = build_schedule(required, parse_templates(raw, minutes), minutes, rules)
        except (ValueError, KeyError, TypeError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        document = schedule_json(schedule, start)
        if output_format == OutputFormat.JSON:
            typer.echo(json.dumps(document))
        else:
            import pandas as pd

            if output_format == OutputFormat.SHIFTS_CSV:
                frame = pd.DataFrame(
                    [
                        {
                            **{k: v for k, v in s.items() if k != "breaks"},
                            "breaks": ";".join(
                                f"{b['kind']}@{b['start']}/{b['end']}" for b in s["breaks"]
                            ),
                        }
                        for s in document["shifts"]
                    ],
                    columns=["agent", "template", "start", "end", "breaks"],
                )
            else:
                frame = pd.DataFrame(
                    document["coverage"],
                    columns=["interval_start", "required", "scheduled", "over", "under"],
                )
            sys.stdout.write(_csv(frame))

    plan_app = typer.Typer(
        help="Interval plans (planned calls, AHT, agents) for service-level variance.",
        no_args_is_help=True,
    )

    @plan_app.command("import")
    def plan_import(
        path: Annotated[
            Path,
            typer.Argument(
                help="CSV with queue_id, interval_start (UTC, 15-minute grid), planned_calls, "
                "planned_aht_sec, planned_agents[, planned_service_level]",
                exists=True,
                dir_okay=False,
            ),
        ],
        tenant: Annotated[str, typer.Option("--tenant", help="Tenant the plan belongs to")],
    ) -> None:
        """Add the file's intervals to the tenant's plans (a later import of the same queue and
        interval supersedes an earlier one); rejected rows go to the dead-letter store.

        Embedded profile: the lake. Server profile: the lake and ClickHouse
        (irisx_raw.wfm_plan_intervals).
        """
        from config import Profile, Settings
        from ingest.wfm_plan import read_plan_intervals
        from irisx.commands.import_support import file_rejects, on_clickhouse, read_import
        from warehouse import ParquetLake
        from warehouse.wfm_plan import write_plan_intervals, write_plan_intervals_clickhouse

        settings = Settings()  # per call, so IRISX_* set by the caller apply
        settings.ensure_dirs()
        result = read_import(
            lambda: read_plan_intervals(path.read_bytes(), tenant_id=tenant, source=str(path))
        )
        ParquetLake(settings.lake_dir).initialize()
        table = result.to_table()
        write_plan_intervals(settings.lake_dir, result.tenant_id, table, result.import_id)
        if settings.profile == Profile.SERVER:
            on_clickhouse(
                settings,
                lambda client, database: write_plan_intervals_clickhouse(
                    client, database, result.tenant_id, table
                ),
            )
        file_rejects(
            settings,
            result.import_id,
            result.rejects,
            f"tenant {result.tenant_id}: {len(result.intervals)} plan intervals imported, "
            f"{len(result.rejects)} rejected",
        )

    group.add_typer(plan_app, name="plan")
