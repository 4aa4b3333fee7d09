"""A Dagster logger that shows run progress as short lines (used by ``irisx demo``).

Only active when a run's config names it (``{"loggers": {"progress": {}}}``); otherwise Dagster's
default console logger applies.
"""

from __future__ import annotations

import logging
import time

from dagster import DagsterEvent, DagsterEventType, InitLoggerContext, logger
from rich.console import Console


class ProgressHandler(logging.Handler):
    """Turns Dagster events into one line per step, materialization and failed check."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.started = time.monotonic()
        self.checks_passed = 0
        self.checks_failed = 0

    def _stamp(self) -> str:
        return f"[dim]{time.monotonic() - self.started:6.1f}s[/dim]"

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if not isinstance(event, DagsterEvent):
            return
        kind = event.event_type
        if kind is DagsterEventType.STEP_START:
            self.console.print(f"{self._stamp()} [cyan]▶[/cyan] {event.step_key}")
        elif kind is DagsterEventType.ASSET_MATERIALIZATION:
            key = event.asset_key.to_user_string() if event.asset_key else "?"
            self.console.print(f"{self._stamp()}   [green]✓[/green] {key}")
        elif kind is DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if getattr(evaluation, "passed", True):
                self.checks_passed += 1
            else:
                self.checks_failed += 1
                name = getattr(evaluation, "check_name", "?")
                self.console.print(f"{self._stamp()}   [red]✗ check failed:[/red] {name}")
        elif kind is DagsterEventType.STEP_FAILURE:
            self.console.print(f"{self._stamp()} [red]✗ step failed:[/red] {event.step_key}")
        elif kind in (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE):
            verdict = (
                "[green]run succeeded[/green]"
                if kind is DagsterEventType.RUN_SUCCESS
                else ("[red]run failed[/red]")
            )
            self.console.print(
                f"{self._stamp()} {verdict}: {self.checks_passed} checks passed, "
                f"{self.checks_failed} failed"
            )


@logger(description="Compact progress lines on the terminal (irisx demo).")
def progress_logger(init_context: InitLoggerContext) -> logging.Logger:
    progress = logging.Logger("irisx.progress", level=logging.DEBUG)
    progress.addHandler(ProgressHandler(Console(stderr=False, highlight=False)))
    return progress
