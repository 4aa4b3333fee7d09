"""Intraday re-forecast: the rest of today's volume forecast, rescaled by today's actuals so far.

The day's forecast gets the shape of the day right more often than its level (a campaign, an
outage, the weather move the whole day). So the remaining intervals keep their forecast shape and
are multiplied by one factor r estimated from the intervals already over:

    r = (A + k) / (F + k)

A: calls offered so far today (complete intervals only), F: what the forecast said for those
same intervals, k: the prior strength in calls (``prior_calls``, default 30).

Why this form: it is the posterior mean of the day's level multiplier when calls are Poisson with
mean r·forecast and r has a Gamma(k, k) prior (mean 1): observing A calls where F were expected
gives Gamma(k + A, k + F). Written as shrinkage it is r = 1 + w·(A/F − 1) with w = F / (F + k):
early in the day (F small) r stays near 1, a single busy interval cannot double the afternoon;
once the forecast expected many more calls than k, r approaches the observed ratio A/F.
Prediction-interval bounds are scaled by the same factor (their uncertainty about r itself is
not added: a simplification, documented in docs/wfm.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from models_ml.forecast.base import FORECAST_COLUMNS

#: Prior strength in calls: how many forecast calls the evidence must reach to count half.
DEFAULT_PRIOR_CALLS = 30.0


@dataclass(frozen=True)
class IntradayReforecast:
    """The re-forecast intervals (from the first not yet complete one to the end of the day)
    and how the factor was reached."""

    intervals: pd.DataFrame  # index interval_start; FORECAST_COLUMNS
    factor: float
    actual_to_date: float
    forecast_to_date: float
    complete_intervals: int


def intraday_reforecast(
    forecast: pd.DataFrame,
    actual: pd.Series,
    now: pd.Timestamp,
    *,
    interval_minutes: int = 15,
    prior_calls: float = DEFAULT_PRIOR_CALLS,
) -> IntradayReforecast:
    """Re-forecast the rest of ``now``'s day (the day of ``now`` in ``now``'s time zone).

    ``forecast``: the day's forecast, indexed by interval start, with ``FORECAST_COLUMNS``;
    ``actual``: calls offered per interval start (missing intervals count as 0 calls).
    An interval is complete when it ended at or before ``now``.
    """
    if prior_calls <= 0:
        raise ValueError("prior_calls: must be positive")
    step = pd.Timedelta(minutes=interval_minutes)
    day_start = now.normalize()
    day_end = day_start + pd.Timedelta(days=1)
    index = pd.DatetimeIndex(forecast.index)
    today = forecast[(index >= day_start) & (index < day_end)]
    today_index = pd.DatetimeIndex(today.index)
    complete = today_index + step <= now
    expected = float(today.loc[complete, "mean"].sum())
    observed_by_slot = actual.reindex(today_index[complete], fill_value=0.0)
    observed = float(observed_by_slot.fillna(0.0).sum())
    factor = (observed + prior_calls) / (expected + prior_calls)
    remaining = today.loc[~complete, list(FORECAST_COLUMNS)] * factor
    return IntradayReforecast(
        intervals=remaining,
        factor=factor,
        actual_to_date=observed,
        forecast_to_date=expected,
        complete_intervals=int(complete.sum()),
    )
