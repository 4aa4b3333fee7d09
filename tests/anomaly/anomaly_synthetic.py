"""Seeded synthetic KPI series with a known seasonal signal and known injections.

Hourly by default: level 100, a daily cycle of amplitude 30 (peak mid-afternoon), weekends 15
lower, Gaussian noise of standard deviation 3. Injections are sized in noise units so that each
is unmistakable to a person looking at the plot: a spike of +15 sigma, a dropout (3 points at 0,
about 25 to 43 sigma below normal) and a level shift of +8 sigma that lasts to the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NOISE = 3.0


@dataclass(frozen=True)
class Injection:
    kind: str
    start: int
    end: int  # inclusive


@dataclass
class Synthetic:
    values: np.ndarray
    step_seconds: float
    injections: list[Injection] = field(default_factory=list)


def seasonal_series(
    seed: int,
    *,
    days: int = 21,
    per_day: int = 24,
    weekly: bool = True,
    noise: float = NOISE,
) -> Synthetic:
    """Clean series: ``days`` days of ``per_day`` points each, starting on a Monday."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    t = np.arange(n)
    phase = (t % per_day) / per_day
    daily = 30 * np.sin(2 * np.pi * (phase - 0.375))
    weekend = np.where((t // per_day) % 7 >= 5, -15.0, 0.0) if weekly else 0.0
    values = 100 + daily + weekend + rng.normal(0, noise, n)
    return Synthetic(values, 86_400 / per_day)


def daily_series(seed: int, *, weeks: int = 52, noise: float = NOISE) -> Synthetic:
    """Daily points with a weekly cycle: weekdays 100, Saturday 70, Sunday 60."""
    rng = np.random.default_rng(seed)
    n = weeks * 7
    profile = np.array([100, 100, 100, 100, 100, 70, 60], dtype=float)
    values = profile[np.arange(n) % 7] + rng.normal(0, noise, n)
    return Synthetic(values, 86_400.0)


def with_injections(series: Synthetic, seed: int) -> Synthetic:
    """A spike, a dropout and a level shift at seeded, well separated positions."""
    rng = np.random.default_rng(seed + 10_000)
    values = series.values.copy()
    n = len(values)
    # Positions in separate fifths of the series, at least n/20 points from each other.
    margin = n // 20
    spike = int(rng.integers(n // 5, 2 * n // 5 - margin))
    dropout = int(rng.integers(2 * n // 5, 3 * n // 5 - margin))
    shift = int(rng.integers(3 * n // 5 + margin, 4 * n // 5))
    values[spike] += 15 * NOISE
    values[dropout : dropout + 3] = 0.0
    values[shift:] += 8 * NOISE
    return Synthetic(
        values,
        series.step_seconds,
        [
            Injection("spike", spike, spike),
            Injection("dropout", dropout, dropout + 2),
            Injection("level_shift", shift, shift),
        ],
    )
