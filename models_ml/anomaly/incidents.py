"""Incidents: anomalous points merged into start/end spans, with severity and cooldown.

Rules (docs/anomalies.md):

* **Merging.** Anomalous points separated by at most ``gap_tolerance`` normal or missing grid
  points belong to one incident; ``start``/``end`` are its first and last anomalous points.
* **Severity** from the incident's peak calibrated score (surprise, ``-log10`` tail
  probability): ``critical`` from 15, ``major`` from 8, else ``minor``.
* **Cooldown.** An incident that starts within ``cooldown`` grid steps of the previous
  incident's end raises no new alert (``alert = False``, it is a repeat of the open one) unless
  it is more severe than every incident since the last alert (an escalation). So a flapping
  series gives one alert, not one per point or per blip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models_ml.anomaly.series import FloatArray, TimeArray

SEVERITY_LEVELS: tuple[tuple[float, str], ...] = ((15.0, "critical"), (8.0, "major"))
SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}


@dataclass(frozen=True)
class IncidentRules:
    """Merging gap (grid points) and alert cooldown (grid steps)."""

    gap_tolerance: int = 2
    cooldown: int = 6

    def __post_init__(self) -> None:
        if self.gap_tolerance < 0 or self.cooldown < 0:
            raise ValueError("gap_tolerance and cooldown must be >= 0")


@dataclass(frozen=True)
class Incident:
    start: np.datetime64
    end: np.datetime64
    peak: np.datetime64
    #: Peak calibrated score (surprise) within the incident.
    score: float
    severity: str
    #: Anomalous points in the incident.
    points: int
    #: False when the incident fell in the cooldown of the one before.
    alert: bool
    start_index: int
    end_index: int
    peak_index: int


def severity_of(score: float) -> str:
    for floor, name in SEVERITY_LEVELS:
        if score >= floor:
            return name
    return "minor"


def build_incidents(
    timestamps: TimeArray,
    is_anomaly: npt.NDArray[np.bool_],
    calibrated: FloatArray,
    rules: IncidentRules | None = None,
) -> list[Incident]:
    """Incidents of a flagged grid (``calibrated``: surprise per point, for severity)."""
    rules = rules or IncidentRules()
    flagged = np.flatnonzero(is_anomaly)
    if len(flagged) == 0:
        return []
    breaks = np.flatnonzero(np.diff(flagged) > rules.gap_tolerance + 1)
    groups = np.split(flagged, breaks + 1)
    incidents: list[Incident] = []
    previous_end: int | None = None
    worst_since_alert = -1
    for group in groups:
        scores = np.nan_to_num(calibrated[group], nan=0.0)
        peak = int(group[np.argmax(scores)])
        score = float(np.max(scores))
        severity = severity_of(score)
        rank = SEVERITY_RANK[severity]
        start, end = int(group[0]), int(group[-1])
        in_cooldown = previous_end is not None and start - previous_end <= rules.cooldown
        alert = not in_cooldown or rank > worst_since_alert
        worst_since_alert = rank if alert else max(worst_since_alert, rank)
        previous_end = end
        incidents.append(
            Incident(
                timestamps[start],
                timestamps[end],
                timestamps[peak],
                score,
                severity,
                len(group),
                alert,
                start,
                end,
                peak,
            )
        )
    return incidents
