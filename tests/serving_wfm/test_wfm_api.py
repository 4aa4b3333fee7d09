"""/v1/wfm/forecast, /v1/wfm/staffing and /v1/wfm/accuracy over hand-made marts (Parquet, the
embedded profile's published marts).

Hand-worked data:
- acme, queue ``q1``: a stored forecast run with origin 2025-03-20 00:00 UTC, 96 intervals of that
  day, each 10 calls expected (80 %: 8..12, 95 %: 6..14) with AHT 180 s; except 12:00, whose
  volume is 50 calls: 50 × 180 s / 900 s = 10 Erlangs, the load of FORMULAS.md's reference case
  (100 calls in 30 min at 180 s), so its staffing must be that case's: 14 agents, 20 positions.
- acme actuals (queue_interval_stats) on 2025-03-20: 00:00 → 20 calls, 00:15 → 25, 00:30 → 15.
  Intraday at 00:45 with k = 30: complete intervals 00:00, 00:15, 00:30; forecast to date
  F = 3 × 10 = 30, actual A = 60; factor (60 + 30) / (30 + 30) = 1.5, so 00:45 becomes 15 calls
  (80 %: 12..18) and 93 intervals (00:45 … 23:45) remain.
- globex has its own forecast for queue ``g1`` and one accuracy row; acme's key never sees it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from config import Settings
from irisx.cli import app as cli_app
from pipelines.wfm.build import ACCURACY_SCHEMA, FORECAST_INTERVALS_SCHEMA
from tests.api_support import publish_parquet

ORIGIN = datetime(2025, 3, 20, tzinfo=UTC)
MADE_AT = datetime(2025, 3, 20, 3, 30, tzinfo=UTC)
REFERENCE_CASE = {
    "answer_within_seconds": 19.8,
    "service_level": 0.8,
    "max_occupancy": 0.85,
    "shrinkage": 0.3,
}


def _forecast_rows(tenant: str, queue: str) -> list[dict[str, Any]]:
    rows = []
    for k in range(96):
        start = ORIGIN + timedelta(minutes=15 * k)
        calls = 50.0 if start.hour == 12 and start.minute == 0 else 10.0
        rows.append(
            {
                "tenant_id": tenant,
                "queue_id": queue,
                "interval_start": start,
                "interval_date": start.date(),
                "forecast_origin": ORIGIN,
                "volume_model": "ets",
                "volume_mean": calls,
                "volume_lo80": calls - 2,
                "volume_hi80": calls + 2,
                "volume_lo95": calls - 4,
                "volume_hi95": calls + 4,
                "aht_model": "weekly_average",
                "aht_mean_sec": 180.0,
                "aht_lo80_sec": 150.0,
                "aht_hi80_sec": 210.0,
                "aht_lo95_sec": 130.0,
                "aht_hi95_sec": 240.0,
                "forecast_made_at": MADE_AT,
            }
        )
    return rows


def _stats_row(minute: int, offered: int) -> dict[str, Any]:
    return {
        "tenant_id": "acme",
        "queue_id": "q1",
        "interval_start": ORIGIN + timedelta(minutes=minute),
        "interval_date": date(2025, 3, 20),
        "offered": offered,
    }


def _accuracy(tenant: str, queue: str, evaluation: str, model: str, mase: float) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "queue_id": queue,
        "series": "volume",
        "evaluation": evaluation,
        "model": model,
        "period_start": ORIGIN - timedelta(days=3),
        "period_end": ORIGIN,
        "intervals": 288,
        "mase": mase,
        "smape": 30.0,
        "mae": 1.5,
        "coverage80": 0.8,
        "coverage95": 0.95,
        "agent_intervals_over": 3,
        "agent_intervals_under": 1,
        "computed_at": MADE_AT,
    }


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    built = Settings(data_dir=tmp_path_factory.mktemp("wfm_api") / "irisx")
    built.ensure_dirs()
    forecasts = _forecast_rows("acme", "q1") + _forecast_rows("globex", "g1")
    marts = {
        "forecast_intervals": pa.Table.from_pylist(forecasts, schema=FORECAST_INTERVALS_SCHEMA),
        "queue_interval_stats": pa.Table.from_pylist(
            [_stats_row(0, 20), _stats_row(15, 25), _stats_row(30, 15)]
        ),
        "forecast_accuracy": pa.Table.from_pylist(
            [
                _accuracy("acme", "q1", "backtest", "ets", 0.7),
                _accuracy("acme", "q1", "backtest", "seasonal_naive", 1.0),
                _accuracy("acme", "q1", "realised", "ets", 0.75),
                _accuracy("globex", "g1", "backtest", "ets", 0.9),
            ],
            schema=ACCURACY_SCHEMA,
        ),
    }
    publish_parquet(built, marts)
    return built


def _post(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _cli_staffing(*extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli_app,
        [
            "wfm", "staffing", "--calls", "100", "--interval-minutes", "30",
            "--aht-seconds", "180", "--answer-within-seconds", "19.8", "--service-level", "0.8",
            "--max-occupancy", "0.85", "--shrinkage", "0.3", *extra,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.output)
    return parsed


def test_explicit_staffing_equals_the_cli_and_the_reference_case(
    client: TestClient, acme: dict[str, str]
) -> None:
    body = {
        **REFERENCE_CASE,
        "interval_minutes": 30,
        "intervals": [{"calls": 100, "aht_seconds": 180}],
    }
    answer = _post(client, "/v1/wfm/staffing", body, acme)
    row = answer["intervals"][0]
    cli = _cli_staffing()
    assert answer["model"] == cli["model"] == "erlang_c"
    # FORMULAS.md: 14 agents, 20 positions, SL 0.888, occupancy 0.714, Pw 0.174.
    assert (row["agents"], row["positions"]) == (cli["agents"], cli["positions"]) == (14, 20)
    assert round(row["service_level"], 4) == cli["service_level"] == 0.8879
    assert round(row["occupancy"], 4) == cli["occupancy"] == 0.7143  # 10 / 14
    assert round(row["probability_wait"], 4) == cli["probability_wait"] == 0.1741
    assert round(row["asa_seconds"], 2) == cli["asa_seconds"]
    assert row["offered_load_erlangs"] == 10.0  # 100 × 180 / 1800
    assert row["abandon_probability"] is None


def test_explicit_staffing_with_patience_equals_the_cli_erlang_a(
    client: TestClient, acme: dict[str, str]
) -> None:
    body = {
        **REFERENCE_CASE,
        "patience_seconds": 120,
        "interval_minutes": 30,
        "intervals": [{"calls": 100, "aht_seconds": 180}],
    }
    row = _post(client, "/v1/wfm/staffing", body, acme)["intervals"][0]
    cli = _cli_staffing("--patience-seconds", "120")
    assert cli["model"] == "erlang_a"
    assert (row["agents"], row["positions"]) == (cli["agents"], cli["positions"])
    for field, digits in (("service_level", 4), ("occupancy", 4), ("abandon_probability", 4)):
        assert round(row[field], digits) == cli[field], field
    assert round(row["asa_seconds"], 2) == cli["asa_seconds"]


def test_staffing_from_a_stored_forecast(client: TestClient, acme: dict[str, str]) -> None:
    body = {
        **REFERENCE_CASE,
        "forecast": {"queue_id": "q1", "start": "2025-03-20T11:45:00Z", "horizon_intervals": 3},
    }
    answer = _post(client, "/v1/wfm/staffing", body, acme)
    assert answer["source"] == "forecast"
    assert answer["interval_minutes"] == 15
    assert [r["interval_start"] for r in answer["intervals"]] == [
        "2025-03-20T11:45:00Z",
        "2025-03-20T12:00:00Z",
        "2025-03-20T12:15:00Z",
    ]
    noon = answer["intervals"][1]
    # 50 calls × 180 s / 900 s = 10 Erlangs: the reference case again.
    assert (noon["calls"], noon["offered_load_erlangs"]) == (50.0, 10.0)
    assert (noon["agents"], noon["positions"]) == (14, 20)
    # 10 calls × 180 / 900 = 2 Erlangs in the other two: the same answer for both.
    assert answer["intervals"][0]["agents"] == answer["intervals"][2]["agents"]


def test_stored_forecast_from_its_origin(client: TestClient, acme: dict[str, str]) -> None:
    answer = _post(client, "/v1/wfm/forecast", {"queue_id": "q1", "horizon_intervals": 4}, acme)
    assert answer["mode"] == "stored"
    assert answer["forecast_origin"] == "2025-03-20T00:00:00Z"
    assert (answer["volume_model"], answer["aht_model"]) == ("ets", "weekly_average")
    assert [r["interval_start"][11:16] for r in answer["intervals"]] == [
        "00:00", "00:15", "00:30", "00:45",
    ]  # fmt: skip
    assert answer["intervals"][0]["volume_mean"] == 10.0
    assert answer["intraday"] is None


def test_intraday_reforecast_scales_the_rest_of_the_day(
    client: TestClient, acme: dict[str, str]
) -> None:
    body = {"queue_id": "q1", "intraday": True, "as_of": "2025-03-20T00:45:00Z"}
    answer = _post(client, "/v1/wfm/forecast", body, acme)
    adjustment = answer["intraday"]
    assert adjustment["complete_intervals"] == 3
    assert (adjustment["actual_to_date"], adjustment["forecast_to_date"]) == (60.0, 30.0)
    assert adjustment["factor"] == 1.5  # (60 + 30) / (30 + 30)
    intervals = answer["intervals"]
    assert len(intervals) == 93  # 00:45 … 23:45
    first = intervals[0]
    assert first["interval_start"] == "2025-03-20T00:45:00Z"
    assert (first["volume_mean"], first["volume_lo80"], first["volume_hi80"]) == (15.0, 12.0, 18.0)
    assert first["aht_mean_sec"] == 180.0  # AHT is not rescaled


def test_accuracy_rows_of_the_caller_only(
    client: TestClient, acme: dict[str, str], globex: dict[str, str]
) -> None:
    response = client.get("/v1/wfm/accuracy", headers=acme)
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert [(r["queue_id"], r["evaluation"], r["model"]) for r in rows] == [
        ("q1", "backtest", "ets"),
        ("q1", "backtest", "seasonal_naive"),
        ("q1", "realised", "ets"),
    ]
    realised = client.get("/v1/wfm/accuracy?evaluation=realised", headers=acme).json()["rows"]
    assert [r["mase"] for r in realised] == [0.75]
    other = client.get("/v1/wfm/accuracy", headers=globex).json()
    assert (other["tenant_id"], [r["queue_id"] for r in other["rows"]]) == ("globex", ["g1"])


def test_another_tenants_queue_is_not_found(client: TestClient, globex: dict[str, str]) -> None:
    for path, body in (
        ("/v1/wfm/forecast", {"queue_id": "q1"}),
        ("/v1/wfm/staffing", {"forecast": {"queue_id": "q1"}}),
    ):
        response = client.post(path, json=body, headers=globex)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"


def test_invalid_requests_are_422_problems(client: TestClient, acme: dict[str, str]) -> None:
    both = {"intervals": [{"calls": 1, "aht_seconds": 60}], "forecast": {"queue_id": "q1"}}
    for path, body in (
        ("/v1/wfm/staffing", both),
        ("/v1/wfm/staffing", {}),
        ("/v1/wfm/forecast", {"queue_id": "q1", "tenant_id": "globex"}),
    ):
        response = client.post(path, json=body, headers=acme)
        assert response.status_code == 422, (path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    response = client.get("/v1/wfm/accuracy?tenant_id=globex", headers=acme)
    assert response.status_code == 422
    assert client.get("/v1/wfm/accuracy").status_code == 401
