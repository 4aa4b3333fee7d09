"""``MstlArimaForecaster``: MSTL + ARIMA on the remainder recovers a known ARMA(1, 1) remainder.

The series (6 weeks of 30-minute intervals, no transform) is a deterministic season plus an
ARMA(1, 1) remainder x_t = 0.9·x_{t−1} + e_t + 0.5·e_{t−1}, e_t ~ N(0, 1):

* its variance is (1 + 2·0.9·0.5 + 0.5²) / (1 − 0.9²) = 2.15 / 0.19 ≈ 11.3, so a model with no
  remainder term (ARIMA(0, 0, 0): the MSTL seasons and a constant) leaves one-step errors of
  about that variance (a little less: MSTL's seasons soak up some of the remainder);
* an ARMA(1, 1) on the remainder leaves the innovations, variance 1 (again a little less), so
  its one-step error variance must be far below the no-remainder model's: under 15 % of it
  (expected ≈ 1 / 11.3 ≈ 9 %);
* the fitted coefficients are the generator's: φ within 0.05 of 0.9, θ within 0.1 of 0.5.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from irisx.cli import app as cli_app
from models_ml.forecast import FORECAST_COLUMNS, MstlArimaForecaster

PHI, THETA = 0.9, 0.5
WEEKS = 6


def seasonal_arma_series(seed: int) -> pd.Series:
    """Daily sine (amplitude 20) + weekday offsets + the ARMA(1, 1) remainder, level 50."""
    index = pd.date_range("2025-03-03", periods=WEEKS * 7 * 48, freq="30min")  # a Monday
    slot = (index.hour * 2 + index.minute // 30).to_numpy()
    weekday = np.array([4.0, 3.0, 2.0, 1.0, 0.0, -4.0, -6.0])[index.day_of_week]
    season = 50 + 20 * np.sin(2 * np.pi * slot / 48) + weekday
    shocks = np.random.default_rng(seed).normal(0.0, 1.0, len(index))
    remainder = np.zeros(len(index))
    for t in range(1, len(index)):
        remainder[t] = PHI * remainder[t - 1] + shocks[t] + THETA * shocks[t - 1]
    return pd.Series(season + remainder, index=index)


@pytest.fixture(scope="module")
def series() -> pd.Series:
    return seasonal_arma_series(seed=1)


def test_arima_recovers_the_arma_remainder(series: pd.Series) -> None:
    arma = MstlArimaForecaster(order=(1, 0, 1), transform="none").fit(series)
    params = dict(zip(arma.remainder_fit.model.param_names, arma.remainder_fit.params, strict=True))
    assert params["ar.L1"] == pytest.approx(PHI, abs=0.05)
    assert params["ma.L1"] == pytest.approx(THETA, abs=0.1)


def test_arima_remainder_beats_no_remainder_model_one_step_ahead(series: pd.Series) -> None:
    arma = MstlArimaForecaster(order=(1, 0, 1), transform="none").fit(series)
    constant = MstlArimaForecaster(order=(0, 0, 0), transform="none").fit(series)
    # One-step-ahead errors (the state-space filter's innovations); skip the filter's burn-in.
    arma_mse = float(np.mean(arma.remainder_fit.resid[48:] ** 2))
    constant_mse = float(np.mean(constant.remainder_fit.resid[48:] ** 2))
    assert 5.0 < constant_mse < 11.3 * 1.2  # about the remainder's variance (see docstring)
    assert arma_mse < 0.15 * constant_mse


def test_default_order_forecasts_with_intervals(series: pd.Series) -> None:
    """The default ARIMA(2, 0, 1) forecasts the next day: the frame of every forecaster, ordered
    bounds, and the 95 % interval wider than the 80 % one."""
    forecast = MstlArimaForecaster(transform="none").fit(series).predict(48)
    assert list(forecast.columns) == list(FORECAST_COLUMNS)
    assert forecast.index[0] == pd.Timestamp("2025-04-14 00:00")
    assert (forecast["lo95"] <= forecast["lo80"]).all()
    assert (forecast["lo80"] <= forecast["mean"]).all()
    assert (forecast["mean"] <= forecast["hi80"]).all()
    assert (forecast["hi80"] <= forecast["hi95"]).all()
    future = pd.date_range("2025-04-14", periods=4, freq="30min")
    with pytest.raises(ValueError, match="exactly when fitted with them"):
        MstlArimaForecaster(transform="none").fit(series).predict(
            4, pd.DataFrame({"sends": np.zeros(4)}, index=future)
        )


def test_backtest_cli_can_select_mstl_arima(series: pd.Series, tmp_path: Path) -> None:
    """``irisx wfm backtest --models ...,mstl_arima`` scores it beside the others (one fold: the
    last day of the 6 weeks, fitted on the 5 weeks and 6 days before)."""
    path = tmp_path / "volume.csv"
    series.rename("calls").rename_axis("interval_start").reset_index().to_csv(path, index=False)
    result = CliRunner().invoke(
        cli_app,
        ["wfm", "backtest", "--csv", str(path), "--time-column", "interval_start",
         "--value-column", "calls", "--folds", "1", "--models", "seasonal_naive,mstl_arima"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert {m["model"] for m in body["models"]} == {"mstl_arima", "seasonal_naive"}
    assert body["origins"] == ["2025-04-13T00:00:00"]
    assert all(np.isfinite(m["mase"]) for m in body["models"])
