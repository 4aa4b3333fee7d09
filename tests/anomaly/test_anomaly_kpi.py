"""models_ml/anomaly/kpi.py: the count-aware tests worked by hand, and detect_kpi_anomalies on
hand-built KPI mart rows (platform-wide outage attributed to tenants, a volume spike, the output
frames' columns and stable incident ids)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from models_ml.anomaly.kpi import (
    ANOMALY_COLUMNS,
    ERROR_COLUMNS,
    INCIDENT_COLUMNS,
    PLATFORM,
    CountModel,
    KpiSeries,
    SeriesKey,
    _score,
    binomial_pvalue,
    count_pvalue,
    detect_kpi_anomalies,
    local_offsets,
    mean_pvalue,
    robust_quadratic,
)


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_binomial_tails_by_hand() -> None:
    # 0 answered of 3 at rate 0.5: P(X <= 0) = 0.5^3 = 0.125; two-sided doubles it
    assert binomial_pvalue(_a(0), _a(3), _a(0.5), direction=-1)[0] == pytest.approx(0.125)
    assert binomial_pvalue(_a(0), _a(3), _a(0.5))[0] == pytest.approx(0.25)
    # 0 of 1 call at ASR 0.6 is no evidence: P(X <= 0) = 0.4
    assert binomial_pvalue(_a(0), _a(1), _a(0.6), direction=-1)[0] == pytest.approx(0.4)
    # a carrier outage platform-wide: 0 of 18 at 0.35 -> 0.65^18 = 4.30e-4
    assert binomial_pvalue(_a(0), _a(18), _a(0.35), direction=-1)[0] == pytest.approx(0.65**18)
    # 3 abandoned of 4 at 0.25, upwards: P(X >= 3) = 4 * 0.25^3 * 0.75 + 0.25^4 = 0.05078125
    assert binomial_pvalue(_a(3), _a(4), _a(0.25), direction=1)[0] == pytest.approx(0.05078125)
    # no trials: no evidence
    assert binomial_pvalue(_a(0), _a(0), _a(0.5))[0] == 1.0


def test_beta_binomial_is_wider_than_binomial() -> None:
    # rho = 1/3 with rate 1/2: a = b = 0.5 * (2/3) / (1/3) = 1, i.e. Beta(1, 1) = uniform rate,
    # and then every k of n is equally likely: P(X <= 0 | n = 3) = 1/4 (binomial: 1/8)
    assert binomial_pvalue(_a(0), _a(3), _a(0.5), rho=1 / 3, direction=-1)[0] == pytest.approx(0.25)


def test_count_tails_by_hand() -> None:
    # Poisson(2): P(X <= 0) = e^-2 = 0.135335
    assert count_pvalue(_a(0), _a(2), direction=-1)[0] == pytest.approx(math.exp(-2))
    # Poisson(1): P(X >= 5) = 1 - e^-1 (1 + 1 + 1/2 + 1/6 + 1/24) = 0.0036599
    tail = 1 - math.exp(-1) * (1 + 1 + 1 / 2 + 1 / 6 + 1 / 24)
    assert count_pvalue(_a(5), _a(1), direction=1)[0] == pytest.approx(tail)
    assert count_pvalue(_a(5), _a(1))[0] == pytest.approx(2 * tail)
    # negative binomial with size 1 (geometric) and mean 1: P(X = 0) = 1 / (1 + 1) = 0.5
    assert count_pvalue(_a(0), _a(1), size=1.0, direction=-1)[0] == pytest.approx(0.5)


def test_mean_tail_and_minimum_evidence() -> None:
    # mean 3.0 of 25 events, expected 3.5, sigma 1: z = -0.5 * 5 = -2.5; P(Z <= -2.5) = 0.0062097
    p = mean_pvalue(_a(3.0), _a(25), _a(3.5), 1.0, direction=-1)[0]
    assert p == pytest.approx(0.0062097, rel=1e-4)
    # 4 events: fewer than MIN_MEAN_EVENTS (5), no evidence however far the mean
    assert mean_pvalue(_a(0.0), _a(4), _a(3.5), 1.0)[0] == 1.0


# --- detect_kpi_anomalies on hand-built mart rows -------------------------------------------

DAYS = 14
START = pd.Timestamp("2025-01-06", tz="UTC")  # a Monday


def _mart_frame(rows: list[tuple]) -> pd.DataFrame:
    """kpi_series_60m rows from (tenant, bucket, dimension, value, kpi, aggregation, numerator,
    denominator) tuples; value = numerator / denominator for ratios, else the numerator."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "tenant_id",
            "bucket_start",
            "dimension",
            "dimension_value",
            "kpi",
            "aggregation",
            "numerator",
            "denominator",
        ],
    )
    frame["grain_minutes"] = 60
    frame["value"] = np.where(
        frame["aggregation"] == "ratio",
        frame["numerator"] / frame["denominator"],
        frame["numerator"],
    )
    return frame


OUTAGE_HOURS = range(10 * 24 + 12, 10 * 24 + 15)  # day 10, 12:00-15:00 UTC
TENANTS = ("acme", "globex", "initech")


def _rows(spike_tenant: str | None = None) -> pd.DataFrame:
    """Hourly rows: per tenant 4 calls an hour on carrier vox (ASR about 0.6), tenant-level
    call volume Poisson(20); during OUTAGE_HOURS no call on vox is answered in any tenant."""
    rng = np.random.default_rng(5)
    rows = []
    for hour in range(DAYS * 24):
        bucket = START + pd.Timedelta(hours=hour)
        for tenant in TENANTS:
            calls = 4
            answered = 0 if hour in OUTAGE_HOURS else int(rng.binomial(calls, 0.6))
            rows.append((tenant, bucket, "carrier", "vox", "asr", "ratio", answered, calls))
            volume = int(rng.poisson(20))
            if tenant == spike_tenant and hour in (5 * 24 + 14, 5 * 24 + 15):
                volume = int(rng.poisson(100))
            rows.append((tenant, bucket, "tenant", "all", "call_volume", "sum", volume, volume))
    return _mart_frame(rows)


def test_a_platform_outage_is_one_incident_per_tenant() -> None:
    found = detect_kpi_anomalies(_rows(), grain_minutes=60, method="count")
    assert list(found.anomalies.columns) == ANOMALY_COLUMNS
    assert list(found.incidents.columns) == INCIDENT_COLUMNS
    assert list(found.errors.columns) == ERROR_COLUMNS
    assert found.errors.empty
    incidents = found.incidents
    # Alone a tenant's 0 of 12 calls over the 3 hours is P = 0.4^12 = 1.7e-5 (> 1e-6, not an
    # anomaly); platform-wide 0 of 36 is 0.4^36 = 4.7e-15: found, and attributed to each.
    assert sorted(incidents["tenant_id"]) == sorted(TENANTS)
    assert set(incidents["dimension"]) == {"carrier"}
    assert set(incidents["dimension_value"]) == {"vox"}
    assert set(incidents["kpi"]) == {"asr"}
    outage_start = START + pd.Timedelta(hours=OUTAGE_HOURS[0])
    outage_end = START + pd.Timedelta(hours=OUTAGE_HOURS[-1] + 1)
    for row in incidents.itertuples():
        assert outage_start <= row.start < outage_end
        assert row.end <= outage_end + pd.Timedelta(hours=2)  # the 3-bucket window trails
        assert row.severity in ("warning", "critical")
        assert "platform-wide asr on carrier vox" in row.explanation
        # score = s / (s + 12), s = -log10 p: critical (s >= 12) exactly when it is >= 1/2
        assert 0.0 < row.peak_score < 1.0
        assert (row.peak_score >= 0.5) == (row.severity == "critical")
    # every flagged bucket has p < 1e-6: s > 6, score > 6 / 18
    assert (found.anomalies["score"] > 1 / 3).all()
    # stable ids: the same rows give the same incident ids
    again = detect_kpi_anomalies(_rows(), grain_minutes=60, method="count")
    assert list(again.incidents["incident_id"]) == list(incidents["incident_id"])


def test_one_tenants_carrier_alone_is_not_enough_evidence() -> None:
    rows = _rows()
    found = detect_kpi_anomalies(
        rows[rows["tenant_id"] == "acme"], grain_minutes=60, method="count"
    )
    # acme alone: the same 3 hours are 0 of 12 calls -> 1.7e-5 one-sided, not below 1e-6
    assert found.incidents.empty


def test_a_volume_spike_is_found_on_its_tenant() -> None:
    found = detect_kpi_anomalies(_rows(spike_tenant="globex"), grain_minutes=60, method="count")
    spikes = found.incidents[found.incidents["kpi"] == "call_volume"]
    # Poisson(100) against about 20 (28 with the spike itself in the phase's mean over 10
    # weekdays): P(X >= 80 | 28) is below 1e-14
    assert list(spikes["tenant_id"]) == ["globex"]
    spike_start = START + pd.Timedelta(hours=5 * 24 + 14)
    assert spikes["start"].iloc[0] == spike_start


def test_unknown_method_and_empty_rows() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        detect_kpi_anomalies(_rows(), grain_minutes=60, method="magic")
    empty = detect_kpi_anomalies(_rows().iloc[:0], grain_minutes=60)
    assert empty.anomalies.empty
    assert empty.incidents.empty
    assert empty.errors.empty


def test_score_ranks_by_evidence_without_saturating() -> None:
    # s / (s + 12) with s = -log10 p: 6/18, 12/24, 36/48; p = 0 is floored at 1e-300: 300/312
    scores = _score(_a(1e-6, 1e-12, 1e-36, 0.0))
    assert scores == pytest.approx([1 / 3, 1 / 2, 3 / 4, 300 / 312])
    assert _score(_a(1.0))[0] == 0.0


def _one_series(kpi: str, aggregation: str, numerator: np.ndarray, denominator: np.ndarray):
    value = numerator if aggregation == "sum" else numerator / denominator
    return KpiSeries(SeriesKey("acme", "tenant", "all", kpi), aggregation, numerator,
                     denominator, value)  # fmt: skip


def test_money_needs_a_material_excess() -> None:
    # cost in units of 1, Poisson around 1 per bucket. 10 (excess 9 < 10 units) is no evidence
    # although P(X >= 10 | 1) = 1.1e-7; 12 (excess 11) is: two-sided
    # 2 P(X >= 12 | 1) = 2 e^-1 (1/12! + 1/13! + ...) = 1.7e-9
    model = CountModel("money", _a(1.0, 1.0), kpi="cost", scale=1.0)
    series = _one_series("cost", "sum", _a(10.0, 12.0), _a(10.0, 12.0))
    tail = 2 * (1 - sum(math.exp(-1) / math.factorial(k) for k in range(12)))
    assert tail == pytest.approx(1.66e-9, rel=0.01)
    pvalues = model.pvalues(series, 1)
    assert pvalues[0] == 1.0
    assert pvalues[1] == pytest.approx(tail, rel=1e-3)


def test_acd_needs_half_the_duration_over_enough_calls() -> None:
    # expected ACD 100 s, per-call sigma 100 s, one-sided downwards.
    # 100 calls at 60 s: z = -40 * 10 / 100 = -4 (p 3.2e-5) but only -40 %: no evidence;
    # 100 calls at 40 s: z = -6, p = Phi(-6) = 9.87e-10 and -60 %: kept;
    # 10 calls at 10 s: -90 % but fewer than 20 calls: no evidence.
    model = CountModel("mean", _a(100.0, 100.0, 100.0), kpi="acd_sec", sigma=100.0,
                       direction=-1)  # fmt: skip
    durations = _a(60.0 * 100, 40.0 * 100, 10.0 * 10)
    series = _one_series("acd_sec", "ratio", durations, _a(100.0, 100.0, 10.0))
    pvalues = model.pvalues(series, 1)
    assert pvalues[0] == 1.0
    assert pvalues[1] == pytest.approx(9.87e-10, rel=0.01)
    assert pvalues[2] == 1.0


# --- local day, queue sums, median-based dispersion -----------------------------------------


def _hourly_grid() -> np.ndarray:
    return np.datetime64("2025-01-06T00:00", "ns") + np.arange(DAYS * 24) * np.timedelta64(1, "h")


def test_a_tenants_local_day_is_found_from_its_calls() -> None:
    # A tenant in UTC-5: local hour h of a weekday has 10 + h calls, of a Saturday half, of a
    # Sunday a quarter (different at every hour, so only the true day boundary gives every
    # phase a single value). At the shift -300 minutes each phase is constant: deviance 0;
    # any other shift mixes two day types in some phase.
    grid = _hourly_grid()
    local = grid - np.timedelta64(5, "h")
    hour = (local.astype("datetime64[h]").astype(np.int64) % 24).astype(np.float64)
    weekday = (local.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 0 = Monday
    calls = (10.0 + hour) * np.select([weekday == 5, weekday == 6], [0.5, 0.25], 1.0)
    series = KpiSeries(
        SeriesKey("acme", "tenant", "all", "call_volume"), "sum", calls, calls.copy(), calls
    )
    assert local_offsets([series], grid, 60) == {"acme": -300, PLATFORM: -300}


def _queue_rows(spike: int) -> pd.DataFrame:
    """Two queues of one tenant, 20 calls every hour each; at day 2, 14:00 both get ``spike``."""
    rows = []
    for hour in range(DAYS * 24):
        bucket = START + pd.Timedelta(hours=hour)
        for queue in ("q-sales", "q-support"):
            calls = spike if hour == 2 * 24 + 14 else 20
            rows.append(("acme", bucket, "queue", queue, "call_volume", "sum", calls, calls))
    return _mart_frame(rows)


def test_a_spike_spread_over_queues_is_found_on_their_sum() -> None:
    found = detect_kpi_anomalies(_queue_rows(45), grain_minutes=60, method="count")
    # Each queue alone: 45 against the weekday 14:00 mean (9 * 20 + 45) / 10 = 22.5, Poisson
    # (the median squared residual of a constant series is 0: no overdispersion):
    # 2 windows x two-sided 2 P(X >= 45 | 22.5) = 7.7e-5 -- not below 1e-6. Their sum, 90
    # against 45: 4 P(X >= 90 | 45) = 9.3e-9 -- an incident on queue "all".
    alone = 4 * stats.poisson.sf(44, 22.5)
    together = 4 * stats.poisson.sf(89, 45.0)
    assert alone == pytest.approx(7.67e-5, rel=0.01)
    assert together == pytest.approx(9.29e-9, rel=0.01)
    incidents = found.incidents
    assert list(incidents["dimension_value"]) == ["all"]
    assert list(incidents["dimension"]) == ["queue"]
    assert incidents["start"].iloc[0] == START + pd.Timedelta(hours=2 * 24 + 14)
    # a constant series is Poisson-dispersed: the quadratic term is 0
    assert robust_quadratic(_a(*[20.0] * 30), _a(*[20.0] * 30), np.ones(30, bool), 1.0, 0.3) == 0


def test_median_dispersion_ignores_a_few_spikes() -> None:
    # 40 buckets expecting 50: 36 at exactly 50 +- 5 (r^2 = 25, r^2 / mu = 0.5), 4 at 150. The
    # median of r^2 / (mu + q mu^2) is 25 / (50 + 2500 q); it equals the chi-square median
    # 0.45494 at q = (25 / 0.45494 - 50) / 2500 = 0.001981 -- the spikes, 10 % of the points,
    # do not move it; the least-squares value (0.5 here) is only an upper bound.
    expected = np.full(40, 50.0)
    value = np.where(np.arange(40) % 2 == 0, 55.0, 45.0)
    value[:4] = 150.0
    q = robust_quadratic(value, expected, np.ones(40, bool), 1.0, 0.5)
    assert q == pytest.approx((25 / stats.chi2.ppf(0.5, 1) - 50) / 2500, rel=1e-4)
