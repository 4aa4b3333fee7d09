"""Realised accuracy of stored forecasts and the staffing error they caused, hand-worked.

One queue, two days of actuals (D1 = 2025-03-18, D2 = 2025-03-19), all calls handled in 180 s.
A stored forecast for D2 said 10 calls in every 15-minute interval (80 %: 8..12, 95 %: 6..14).
D2 actually had 10 calls in each interval before noon and 14 after (48 intervals each).

- MAE = (48 × 0 + 48 × 4) / 96 = 2; sMAPE = mean(0, 2·4/(14 + 10) = 1/3) = 1/6 = 16.667 %;
  coverage80 = 48/96 = 0.5 (14 > 12); coverage95 = 1 (14 ≤ 14). MASE: none, one day of history
  before D2 is less than the one-week seasonal-naive scale needs.
- Staffing, 20 s / 80 % / no occupancy cap / no shrinkage, 900 s intervals:
  10 calls → A = 10·180/900 = 2 Erlangs. N = 3: B = 0.2105, Pw = 0.4444,
  SL = 1 − 0.4444·e^(−1·20/180) = 0.602 < 0.8; N = 4: B = 0.0952, Pw = 0.1739,
  SL = 1 − 0.1739·e^(−2·20/180) = 0.861 → 4 agents (planned everywhere).
  14 calls → A = 2.8. N = 4: B = 0.1837, Pw = 0.4286, SL = 1 − 0.4286·e^(−1.2·20/180) = 0.625;
  N = 5: B = 0.0933, Pw = 0.1895, SL = 1 − 0.1895·e^(−2.2·20/180) = 0.852 → 5 agents.
  So the forecast under-staffed 48 intervals by one agent: under = 48, over = 0.
- AHT forecast 180 = actual: MAE 0, sMAPE 0, coverage 1.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from models_ml.wfm.interval_staffing import ServiceTargets
from pipelines.wfm.build import build_forecast_accuracy, build_staffing_requirements
from pipelines.wfm.config import WfmConfig

D1 = pd.Timestamp("2025-03-18", tz="UTC")
D2 = pd.Timestamp("2025-03-19", tz="UTC")
NOW = datetime(2025, 3, 20, 3, 30, tzinfo=UTC)
CONFIG = WfmConfig(default_targets=ServiceTargets(20.0, 0.8, 1.0, 0.0))


def _stats() -> pd.DataFrame:
    stamps = pd.date_range(D1, periods=192, freq="15min")
    offered = [10] * 96 + [10] * 48 + [14] * 48
    return pd.DataFrame(
        {
            "tenant_id": "acme",
            "queue_id": "q1",
            "interval_start": stamps,
            "offered": offered,
            "handled": offered,
            "aht_sec": 180.0,
        }
    )


def _forecast() -> pd.DataFrame:
    stamps = pd.date_range(D2, periods=96, freq="15min")
    return pd.DataFrame(
        {
            "tenant_id": "acme",
            "queue_id": "q1",
            "interval_start": stamps,
            "interval_date": stamps.date,
            "forecast_origin": D2,
            "volume_model": "ets",
            "volume_mean": 10.0,
            "volume_lo80": 8.0,
            "volume_hi80": 12.0,
            "volume_lo95": 6.0,
            "volume_hi95": 14.0,
            "aht_model": "weekly_average",
            "aht_mean_sec": 180.0,
            "aht_lo80_sec": 170.0,
            "aht_hi80_sec": 190.0,
            "aht_lo95_sec": 160.0,
            "aht_hi95_sec": 200.0,
            "forecast_made_at": D2,
        }
    )


def test_realised_accuracy_and_staffing_error() -> None:
    forecast = _forecast()
    staffing = build_staffing_requirements(forecast, CONFIG).to_pandas()
    assert set(staffing["agents"]) == {4}
    accuracy = build_forecast_accuracy(_stats(), pd.DataFrame(), forecast, staffing, CONFIG, NOW)
    rows = {row["series"]: row for row in accuracy.to_pylist()}
    assert set(rows) == {"volume", "aht"}
    volume = rows["volume"]
    assert volume["evaluation"] == "realised"
    assert volume["model"] == "ets"
    assert volume["intervals"] == 96
    assert volume["mae"] == 2.0
    assert volume["smape"] == pytest.approx(100 / 6)
    assert (volume["coverage80"], volume["coverage95"]) == (0.5, 1.0)
    assert volume["mase"] is None
    assert (volume["agent_intervals_over"], volume["agent_intervals_under"]) == (0, 48)
    assert volume["period_start"] == D2.to_pydatetime()
    assert volume["period_end"] == (D2 + pd.Timedelta(days=1)).to_pydatetime()
    aht = rows["aht"]
    assert (aht["mae"], aht["smape"], aht["coverage80"]) == (0.0, 0.0, 1.0)
