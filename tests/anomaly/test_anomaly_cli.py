"""``irisx anomalies detect`` on irregular real-world-shaped CSVs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from anomaly_synthetic import daily_series, seasonal_series, with_injections
from typer.testing import CliRunner

from irisx.cli import app

runner = CliRunner()


def detect(csv: Path, *extra: str, time_column: str = "timestamp") -> dict:  # type: ignore[type-arg]
    done = runner.invoke(
        app,
        ["anomalies", "detect", "--csv", str(csv), "--time-column", time_column,
         "--value-column", "value", *extra],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def irregular_csv(tmp_path: Path) -> tuple[Path, pd.DatetimeIndex, list]:  # type: ignore[type-arg]
    """Hourly series with injections (seed 1), written the messy way: Berlin offsets (+01:00
    and +02:00 across the DST change of 2024-03-31), rows shuffled, 10 hours missing, 11
    empty values and 2 non-numeric ones, 3 rows repeated."""
    s = with_injections(seasonal_series(1), 1)
    stamps = pd.date_range("2024-03-18", periods=len(s.values), freq="h", tz="UTC")
    frame = pd.DataFrame(
        {"timestamp": [t.tz_convert("Europe/Berlin").isoformat() for t in stamps],
         "value": [f"{v:.3f}" for v in s.values]}
    )  # fmt: skip
    frame.loc[50:60, "value"] = ""
    frame.loc[70, "value"] = "n/a"
    frame.loc[71, "value"] = "-"
    frame = frame.drop(index=range(400, 410))
    frame = pd.concat([frame, frame.loc[[5, 6, 7]]]).sample(frac=1, random_state=0)
    path = tmp_path / "irregular.csv"
    frame.to_csv(path, index=False)
    return path, stamps, s.injections


def test_irregular_csv_gives_valid_json(tmp_path: Path) -> None:
    path, stamps, injections = irregular_csv(tmp_path)
    document = detect(path)
    series = document["series"]
    # 504 hours, 10 rows dropped -> 494 timestamps; 13 of them without a number -> 481.
    assert series["points"] == 504
    assert series["observed"] == 481
    assert series["duplicates_merged"] == 3
    assert series["rows_without_timestamp"] == 0
    assert series["step_seconds"] == 3600
    assert series["periods"] == [24, 168]
    assert series["start"] == "2024-03-18T00:00:00+00:00"
    for anomaly in document["anomalies"]:
        assert set(anomaly) >= {"timestamp", "score", "method", "expected", "lower", "upper"}
        assert anomaly["method"] == "ensemble"
        assert pd.Timestamp(anomaly["timestamp"]).tzinfo is not None
    alerts = [i for i in document["incidents"] if i["alert"]]
    assert len(alerts) == 3
    day = pd.Timedelta(hours=24)
    for injection, alert in zip(injections, alerts, strict=True):
        start, end = pd.Timestamp(alert["start"]), pd.Timestamp(alert["end"])
        assert start - day <= stamps[injection.start] <= end + day
        assert alert["severity"] in {"minor", "major", "critical"}
    spike = stamps[injections[0].start].isoformat()
    by_time = {a["timestamp"]: a for a in document["anomalies"]}
    assert by_time[spike]["value"] > by_time[spike]["upper"]


@pytest.mark.parametrize("method", ["robust_z", "iqr", "level_shift"])
def test_every_method_answers(tmp_path: Path, method: str) -> None:
    path, _, _ = irregular_csv(tmp_path)
    document = detect(path, "--method", method)
    assert document["method"] == method
    assert document["anomalies"]
    assert all(a["method"] == method for a in document["anomalies"])
    assert document["incidents"]


def test_dates_only_daily_series(tmp_path: Path) -> None:
    s = daily_series(2)
    s.values[200] += 45.0
    days = pd.date_range("2023-01-02", periods=len(s.values), freq="D")
    path = tmp_path / "daily.csv"
    pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "value": s.values}).to_csv(path, index=False)
    document = detect(path, time_column="day")
    assert document["series"]["periods"] == [7]
    assert [a["timestamp"] for a in document["anomalies"]] == [days[200].isoformat() + "+00:00"]
    assert len(document["incidents"]) == 1


def test_epoch_seconds_and_no_seasonality(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(50, 2, 300)
    values[150] = 90.0
    epochs = 1_700_000_000 + 60 * np.arange(300)
    path = tmp_path / "epoch.csv"
    pd.DataFrame({"timestamp": epochs, "value": values}).to_csv(path, index=False)
    document = detect(path)
    assert document["series"]["periods"] == []
    assert [a["timestamp"] for a in document["anomalies"]] == [
        pd.Timestamp(epochs[150], unit="s", tz="UTC").isoformat()
    ]


def run_failing(csv: Path, *args: str) -> str:
    done = runner.invoke(app, ["anomalies", "detect", "--csv", str(csv), *args])
    assert done.exit_code == 2, done.output
    return done.output


def test_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text("ts,value\n2024-01-01,1\n2024-01-02,2\n2024-01-03,\n")
    out = run_failing(path, "--time-column", "timestamp", "--value-column", "value")
    assert "no column timestamp (columns: ts, value)" in out
    out = run_failing(path, "--time-column", "ts", "--value-column", "value")
    assert "2 rows with both a timestamp and a numeric value; at least 10" in out
    out = run_failing(path, "--time-column", "ts", "--value-column", "value", "--method", "x")
    assert "not one of" in out
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "not a readable CSV" in run_failing(
        empty, "--time-column", "ts", "--value-column", "value"
    )
