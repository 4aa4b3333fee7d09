"""Agents per interval for many intervals at once, by Erlang C or (with a patience) Erlang A.

One entry point for everything that turns volumes into agents outside the CLI: the staffing
pipeline asset (``staffing_requirements``), the WFM API (``POST /v1/wfm/staffing``) and the
realised staffing error of ``forecast_accuracy``. It is a thin layer over ``required_agents`` and
``required_agents_erlang_a`` (the same calls ``irisx wfm staffing`` makes), so the three give the
same agents for the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from models_ml.wfm.erlang import ArrayLike, FloatArray, IntArray, required_agents
from models_ml.wfm.erlang_a import required_agents_erlang_a

StaffingModel = Literal["erlang_c", "erlang_a"]


@dataclass(frozen=True)
class ServiceTargets:
    """What a tenant staffs for. ``patience_s`` None: Erlang C (callers never hang up);
    a mean patience in seconds: Erlang A."""

    answer_within_s: float = 20.0
    service_level: float = 0.8
    max_occupancy: float = 0.85
    shrinkage: float = 0.3
    patience_s: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.service_level < 1:
            raise ValueError("service_level: must be in [0, 1)")
        if not 0 < self.max_occupancy <= 1:
            raise ValueError("max_occupancy: must be in (0, 1]")
        if not 0 <= self.shrinkage < 1:
            raise ValueError("shrinkage: must be in [0, 1)")
        if self.answer_within_s < 0:
            raise ValueError("answer_within_s: must not be negative")
        if self.patience_s is not None and self.patience_s <= 0:
            raise ValueError("patience_s: must be positive")

    @property
    def model(self) -> StaffingModel:
        return "erlang_c" if self.patience_s is None else "erlang_a"


@dataclass(frozen=True)
class IntervalStaffing:
    """Per interval: offered load, agents on the phones, positions to schedule and what the
    agents achieve. ``abandon_probability`` is None under Erlang C (no abandonment modelled)."""

    model: StaffingModel
    load: FloatArray
    agents: IntArray
    positions: IntArray
    service_level: FloatArray
    occupancy: FloatArray
    probability_wait: FloatArray
    asa_s: FloatArray
    abandon_probability: FloatArray | None


def staff_intervals(
    calls: ArrayLike, aht_s: ArrayLike, interval_s: float, targets: ServiceTargets
) -> IntervalStaffing:
    """Required agents per interval for ``calls`` offered with handle time ``aht_s`` (arrays
    of one value per interval, or scalars) in intervals of ``interval_s`` seconds."""
    calls_a = np.atleast_1d(np.asarray(calls, np.float64))
    aht_a = np.broadcast_to(np.asarray(aht_s, np.float64), calls_a.shape)
    if not (np.isfinite(calls_a).all() and np.isfinite(aht_a).all()):
        raise ValueError("calls and aht_s: must be finite numbers")
    if targets.patience_s is None:
        c = required_agents(
            calls_a,
            aht_a,
            interval_s,
            targets.answer_within_s,
            targets.service_level,
            targets.max_occupancy,
            targets.shrinkage,
        )
        return IntervalStaffing(
            "erlang_c",
            c.load,
            c.agents,
            c.positions,
            c.service_level,
            c.occupancy,
            c.probability_wait,
            c.asa_s,
            None,
        )
    a = required_agents_erlang_a(
        calls_a,
        aht_a,
        interval_s,
        targets.answer_within_s,
        targets.service_level,
        targets.patience_s,
        targets.max_occupancy,
        targets.shrinkage,
    )
    return IntervalStaffing(
        "erlang_a",
        a.load,
        a.agents,
        a.positions,
        a.service_level,
        a.occupancy,
        a.probability_wait,
        a.asa_s,
        a.abandon_probability,
    )
