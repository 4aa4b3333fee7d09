"""What to simulate, and what a simulation produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa

from telephony.simulator.wire import FAMILY_NAMES


def default_start(days: int) -> date:
    """Today's UTC date minus ``days``: the window ends today."""
    return datetime.now(UTC).date() - timedelta(days=days)


@dataclass(frozen=True)
class SimulationConfig:
    """A simulation is deterministic for equal ``seed``, ``start``, ``days``, ``tenants``,
    ``scale``, ``staffing_level`` and ``families`` (``start`` defaults to today minus ``days``,
    so pass it explicitly to reproduce a run on another day)."""

    days: int = 30
    tenants: int = 5
    seed: int = 7
    start: date | None = None
    scale: float = 1.0  # call and message volume multiplier (~1,000 calls per tenant-day at 1)
    staffing_level: float = 1.0  # multiplier on the agents the planner schedules
    families: frozenset[str] = field(default_factory=lambda: frozenset(FAMILY_NAMES))

    def __post_init__(self) -> None:
        checks: list[tuple[str, bool, str]] = [
            ("days", 1 <= self.days <= 366, "between 1 and 366"),
            ("tenants", 1 <= self.tenants <= 200, "between 1 and 200"),
            ("seed", 0 <= self.seed < 2**63, "a non-negative integer"),
            ("scale", 0 < self.scale <= 1000, "greater than 0 and at most 1000"),
            ("staffing_level", 0.1 <= self.staffing_level <= 5, "between 0.1 and 5"),
        ]
        for name, ok, rule in checks:
            if not ok:
                raise ValueError(f"{name}: must be {rule}, got {getattr(self, name)!r}")
        unknown = set(self.families) - set(FAMILY_NAMES)
        if unknown:
            raise ValueError(
                f"families: unknown {sorted(unknown)} (known: {', '.join(FAMILY_NAMES)})"
            )
        if "call" not in self.families:
            raise ValueError("families: must include 'call' (every other family refers to calls)")
        object.__setattr__(self, "families", frozenset(self.families))
        if self.start is None:
            object.__setattr__(self, "start", default_start(self.days))
        elif isinstance(self.start, datetime) or not isinstance(self.start, date):
            raise ValueError(f"start: must be a date, got {self.start!r}")

    @property
    def start_date(self) -> date:
        assert self.start is not None
        return self.start

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "tenants": self.tenants,
            "seed": self.seed,
            "start": self.start_date.isoformat(),
            "scale": self.scale,
            "staffing_level": self.staffing_level,
            "families": sorted(self.families),
        }


@dataclass
class SimulationResult:
    """Event tables in the wire format, the injected incidents and a manifest."""

    config: SimulationConfig
    tables: dict[str, pa.Table]
    ground_truth: list[dict[str, Any]]
    manifest: dict[str, Any]

    @property
    def counts(self) -> dict[str, int]:
        return {family: table.num_rows for family, table in self.tables.items()}
