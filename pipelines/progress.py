"""A Dagster logger that shows run progress as short lines (used by ``irisx demo``).

Only active when a run's config names it (``{"loggers": {"progress": {}}}``); otherwise Dagster's
default console logger applies. Lines go to the process's real stdout so that callers may
redirect ``sys.stdout`` (where dagster-dbt echoes every dbt log line) to a log file.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field

from dagster import DagsterEvent, DagsterEventType, InitLoggerContext, logger
from rich.console import Console


@dataclass
class RunProgress:
    """Counters of one run. Dagster builds a logger per step, so they live outside it."""

    started: float = field(default_factory=time.monotonic)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)


_RUNS: dict[str, RunProgress] = {}


class ProgressHandler(logging.Handler):
    """Turns Dagster events into one line per step, materialization and failed check."""

    def __init__(self, console: Console, progress: RunProgress) -> None:
        super().__init__()
        self.console = console
        self.progress = progress

    def _say(self, text: str) -> None:
        elapsed = time.monotonic() - self.progress.started
        self.console.print(f"[dim]{elapsed:6.1f}s[/dim] {text}")

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if not isinstance(event, DagsterEvent):
            return
        kind = event.event_type
        if kind is DagsterEventType.STEP_START:
            self._say(f"[cyan]▶[/cyan] {event.step_key}")
        elif kind is DagsterEventType.ASSET_MATERIALIZATION and event.asset_key:
            self._say(f"  [green]✓[/green] {event.asset_key.to_user_string()}")
        elif kind is DagsterEventType.ASSET_OBSERVATION and event.asset_key:
            metadata = event.event_specific_data.asset_observation.metadata  # type: ignore[union-attr]
            facts = {k: getattr(v, "value", v) for k, v in metadata.items()}
            if "source" in facts:
                counts = ", ".join(
                    f"{facts.get(name, 0):,} {name}"
                    for name in ("accepted", "rejected", "duplicates")
                )
                where = f"{facts['source']} → {event.asset_key.to_user_string()}"
                self._say(f"  [dim]·[/dim] {where}: {counts}")
        elif kind is DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if getattr(evaluation, "passed", False):
                self.progress.checks_passed += 1
            else:
                name = getattr(evaluation, "check_name", "?")
                self.progress.checks_failed.append(name)
                self._say(f"  [red]✗ check failed:[/red] {name}")
        elif kind is DagsterEventType.STEP_FAILURE:
            self._say(f"[red]✗ step failed:[/red] {event.step_key}")
        elif kind in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
            verdict = (
                "[green]run succeeded[/green]"
                if kind is DagsterEventType.RUN_SUCCESS
                else "[red]run failed[/red]"
            )
            failed = len(self.progress.checks_failed)
            self._say(f"{verdict}: {self.progress.checks_passed} checks passed, {failed} failed")


@logger(description="Compact progress lines on the terminal (irisx demo).")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    run_progress = _RUNS.setdefault(init_context.run_id or "", RunProgress())
    progress = logging.Logger("irisx.progress", level=logging.DEBUG)
    console = Console(file=sys.__stdout__, highlight=False, soft_wrap=True)
    progress.addHandler(ProgressHandler(console, run_progress))
    return progress
