"""A rolling-origin backtest on SIMULATED inbound volume: one tenant's busiest queue, six weeks
at 30-minute grain in the queue's local time, seven one-day folds. The simulator draws arrivals
as a Poisson process whose rate is an intraday double peak × a weekday factor
(telephony/simulator/inbound.py), plus unannounced 3× traffic spikes; no model can forecast the
Poisson noise or the spikes, so the achievable MASE is bounded below (about 1/√2 ≈ 0.71 for
Poisson noise against a seasonal-naive scale: Var(y − y_{t−week}) = 2λ vs Var(y − λ) = λ)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from irisx.cli import app
from models_ml.forecast import (
    EtsForecaster,
    IntradayProfile,
    StaffingTargets,
    WeeklyAverage,
    interval_series,
    rolling_origin_backtest,
    select_model,
)
from telephony.simulator import SimulationConfig, simulate

START = pd.Timestamp("2025-01-06", tz="America/New_York")  # a Monday; no DST change in window


@pytest.fixture(scope="module")
def inbound_calls() -> pd.DataFrame:
    result = simulate(
        SimulationConfig(
            days=42, tenants=1, seed=7, start=date(2025, 1, 6), families=frozenset({"call"})
        )
    )
    calls = result.tables["call"].to_pandas()
    inbound = calls[(calls["direction"] == "inbound") & calls["queue_id"].notna()]
    busiest = inbound["queue_id"].value_counts().index[0]
    return inbound[inbound["queue_id"] == busiest]


def test_backtest_on_simulated_volume_beats_seasonal_naive(inbound_calls: pd.DataFrame) -> None:
    volume = interval_series(
        inbound_calls["start_at"], 30, timezone="America/New_York",
        start=START, end=START + pd.Timedelta(days=41),
    )  # fmt: skip
    aht = float((inbound_calls["billsec"] + inbound_calls["wrapup_sec"]).mean())
    report = rolling_origin_backtest(
        volume,
        {
            "weekly_average": WeeklyAverage,
            "intraday_profile": IntradayProfile,
            "ets": EtsForecaster,
        },
        folds=7,
        staffing=StaffingTargets(aht_s=aht),
    )
    naive = report.score("seasonal_naive")
    best = report.best
    # Achieved here (seed 7): intraday_profile MASE 0.69, relative MAE 0.62, coverage 79.8 % /
    # 95.8 %; seasonal naive MASE 1.12 (spikes fall in the folds).
    assert best.model == "intraday_profile"
    assert best.mase <= 0.8
    assert best.relative_mae < 0.7
    assert abs(best.coverage80 - 0.80) <= 0.03
    assert abs(best.coverage95 - 0.95) <= 0.03
    # The forecast error costs fewer agent-intervals than last week's values do.
    assert best.agent_intervals_over + best.agent_intervals_under < (
        naive.agent_intervals_over + naive.agent_intervals_under
    )


def test_select_model_refits_the_winner(inbound_calls: pd.DataFrame) -> None:
    volume = interval_series(
        inbound_calls["start_at"], 30, timezone="America/New_York",
        start=START, end=START + pd.Timedelta(days=35),
    )  # fmt: skip
    model, report = select_model(
        volume, {"weekly_average": WeeklyAverage, "intraday_profile": IntradayProfile}, folds=3
    )
    assert model.name == report.best.model
    forecast = model.predict(48)
    assert forecast.index[0] == START + pd.Timedelta(days=35)


def test_cli_backtest_from_a_csv_of_calls(inbound_calls: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    inbound_calls[["start_at"]].to_csv(path, index=False)
    result = CliRunner().invoke(
        app,
        ["wfm", "backtest", "--csv", str(path), "--time-column", "start_at",
         "--timezone", "America/New_York", "--folds", "3",
         "--models", "seasonal_naive,intraday_profile", "--aht-seconds", "300"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["best_model"] == "intraday_profile"
    assert {m["model"] for m in body["models"]} == {"seasonal_naive", "intraday_profile"}
    assert len(body["origins"]) == 3
    assert all(m["agent_intervals_over"] is not None for m in body["models"])
