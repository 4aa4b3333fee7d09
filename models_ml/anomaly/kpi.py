"""Anomalies and incidents of the KPI series marts (``kpi_series_5m/15m/60m``), count-aware.

The production entry point is :func:`detect_kpi_anomalies`: the rows of one KPI series mart in,
anomalous buckets, deduplicated incidents and per-series errors out (docs/anomalies.md, "KPI
detection"). Pure maths: numpy, pandas, scipy (and the univariate detectors of this package).

Why count-aware: a tenant's per-carrier ASR at ~6 calls an hour swings between 0 and 1, so a
detector of the *value* flags noise and misses a real outage. Every mart row carries the exact
numerator and denominator, so each bucket is tested against the count model its KPI follows,
with the expected rate from a seasonal baseline of the same series:

* **proportions** (asr, abandon_rate, sms_delivery_rate, email_bounce_rate): answered of n calls
  is beta-binomial around the expected rate (binomial when the series shows no
  overdispersion); 0 answered of 1 call has probability ``1 - rate`` -- no evidence;
* **counts** (call_volume, message_volume): Poisson around the expected count, negative
  binomial with the series' own overdispersion, that of each slot of the day where it is
  larger (dialer campaigns make a tenant's evenings far more variable than its mornings);
* **money sums** (cost, spend): the same, in units of the series' mean amount per event;
* **means** (acd_sec, mos): the bucket mean of n events against the expected mean with standard
  error ``sigma / sqrt(n)``, sigma the series' robust per-event spread (Student's t with the
  buckets behind sigma as degrees of freedom); fewer than ``MIN_MEAN_EVENTS`` events is no
  evidence.

Each bucket is tested alone and together with the two before it (a sustained, moderate change
accumulates evidence); the smaller p-value, Bonferroni-corrected for the two windows, decides.
Two passes: the first's baseline of counts and money is the phases' trimmed mean, the second's
the plain mean of the buckets the first did not flag (flagged two-sided, whatever the KPI's
bad direction).
Shared resources (carrier, provider) are also tested platform-wide -- the sums over every
tenant -- because an outage that one tenant sees in 6 calls an hour, five tenants see in 30;
a platform incident is then attributed to each tenant with traffic on that resource, with the
tenant's own numbers (for rates, means and falls; a platform-wide rise of calls or cost is the
sum of tenants' own rises). A tenant's queues are summed too (a spike of customers' calls
spreads over them). The seasonal phase is the slot of the tenant's local day, the shift from
UTC inferred from its own traffic. Incidents of one tenant that overlap in time and are
related (same KPI, same carrier/queue/provider, or volume and money) are one incident,
explained by its most specific dimension.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, stats

from models_ml.anomaly.calibration import TailCalibrator
from models_ml.anomaly.incidents import IncidentRules, build_incidents
from models_ml.anomaly.seasonality import infer_periods
from models_ml.anomaly.series import FloatArray, RegularSeries
from models_ml.anomaly.univariate import IqrFences, LevelShift, RobustSeasonalZ

#: Methods of :func:`detect_kpi_anomalies`: the count-aware test alone, each residual detector
#: alone (on the value series), and the ensemble.
METHODS: tuple[str, ...] = ("ensemble", "count", "robust_z", "iqr", "level_shift")
RESIDUAL_DETECTORS = ("robust_z", "iqr", "level_shift")
PROPORTION_KPIS = frozenset({"asr", "abandon_rate", "sms_delivery_rate", "email_bounce_rate"})
COUNT_KPIS = frozenset({"call_volume", "message_volume"})
MONEY_KPIS = frozenset({"cost", "spend"})
MEAN_KPIS = frozenset({"acd_sec", "mos"})
#: The direction that hurts, for KPIs where only one does: ASR, delivery rate, MOS falling,
#: abandonment and bounces rising. Tested one-sided (an ASR above normal is no incident).
BAD_DIRECTION = {
    "asr": -1,
    "sms_delivery_rate": -1,
    "mos": -1,
    "abandon_rate": 1,
    "email_bounce_rate": 1,
    # Outbound messages are what customers choose to send: a rise is a campaign, a fall an
    # outage of the channel or provider.
    "message_volume": -1,
    # Long calls are no fault; a fall in ACD (short answered calls: fraud, false answer
    # supervision) is.
    "acd_sec": -1,
    # A tenant's spend is its calls' cost plus its messages' price: a rise of the calls' part
    # is the cost KPI's (tenant and carrier, with the call volume), a rise of the messages'
    # part is a campaign, as for message volume; a fall is lost revenue or a dead channel.
    "spend": -1,
}
#: Dimensions whose values are shared by every tenant: tested platform-wide too.
SHARED_DIMENSIONS = frozenset({"carrier", "provider"})
#: Day types of the seasonal profile: weekday, Saturday, Sunday (traffic on Sundays is often
#: half of Saturdays': one weekend profile would mix them).
DAY_TYPES = 3
#: Saturday and Sunday have their own profiles only with at least this many of each in the
#: history (``phases``).
MIN_DAYS_PER_TYPE = 4
#: (dimension, KPI) also summed over the dimension's values per tenant (dimension value
#: ``ALL``): a spike of customers' calls spreads over a tenant's queues, each too small to show
#: it alone. Only volume: "all queues" is no target for a queue's remediation (staffing).
SUMMED = frozenset({("queue", "call_volume")})
ALL = "all"
#: tenant_id of a platform-wide series (the sum over tenants); never in an output row.
PLATFORM = "*"
#: How specific a dimension is: the explanation of an incident is its most specific member.
SPECIFICITY = {"tenant": 0, "channel": 1, "carrier": 2, "queue": 2, "provider": 2}
#: KPIs that move together (volume and money): overlapping incidents on them are one.
RELATED_KPIS = frozenset({"call_volume", "cost", "spend"})

#: A bucket is anomalous when its two-sided p-value under the count model is below this. One
#: false bucket per million tested: a platform of 150 series at 60 minutes tests ~3,600 buckets
#: a day, so a well-calibrated model gives about one false bucket a year.
ALPHA = 1e-6
#: Minimum practical effects (operator requirements, not fitted): a window whose deviation is
#: smaller is no evidence, however significant. Money (cost, spend): at least this many
#: currency units over or under the expected amount in the tested window -- one unusually long
#: international call is a few units and nobody's incident; toll fraud is tens to hundreds.
MIN_MONEY_EXCESS = 10.0
#: ACD: a fall of at least half (short answered calls of fraud or false answer supervision
#: collapse it), over at least this many answered calls (call durations are skewed: the mean
#: of fewer is no normal variable).
MIN_ACD_DROP = 0.5
MIN_ACD_EVENTS = 20
#: A proportion's expected rate is shrunk toward the series' overall rate by this many
#: pseudo-trials, so that a phase that never failed in its history (rate exactly 1) expects
#: failures to be rare, not impossible (one failed SMS is then no 1e-9 event).
PRIOR_TRIALS = 1.0
#: Trailing windows (buckets) tested at each point; Bonferroni over them.
WINDOWS: tuple[int, ...] = (1, 3)
#: A mean KPI (ACD, MOS) of fewer events than this is no evidence.
MIN_MEAN_EVENTS = 5
#: Squared standardised residuals are capped here (5 sigma) when estimating overdispersion, so
#: that the anomalies themselves do not inflate it.
RESIDUAL_CAP = 25.0
#: Dispersion estimates leave out points beyond this many standard deviations (3 rounds).
TRIM_Z = 4.0
#: The first dispersion fit leaves out this share of the points, the largest standardised
#: residuals (the anomalies a variance fit must not see).
INITIAL_TRIM = 0.02
#: Severity: ``critical`` from this peak surprise (-log10 p), else ``warning``.
CRITICAL_SURPRISE = 12.0
RULES = IncidentRules(gap_tolerance=2, cooldown=6)
#: Residual detectors' flags need this calibrated tail probability in the ensemble (the
#: package's ``Ensemble`` default) and the count test's corroboration below CORROBORATE.
RESIDUAL_ALPHA = 1e-5
CORROBORATE = 1e-3
#: Fewer observed buckets: the residual detectors do not run (regularise needs 10).
MIN_OBSERVED = 30

SERIES_KEYS = ["tenant_id", "dimension", "dimension_value", "kpi"]
ANOMALY_COLUMNS = [
    "tenant_id",
    "dimension",
    "dimension_value",
    "kpi",
    "bucket_start",
    "value",
    "expected",
    "lower",
    "upper",
    "score",
    "methods",
    "explanation",
]
INCIDENT_COLUMNS = [
    "incident_id",
    "tenant_id",
    "dimension",
    "dimension_value",
    "kpi",
    "start",
    "end",
    "severity",
    "peak_score",
    "explanation",
]
ERROR_COLUMNS = ["tenant_id", "dimension", "dimension_value", "kpi", "error"]


@dataclass(frozen=True)
class KpiDetection:
    """What :func:`detect_kpi_anomalies` found (columns: module constants)."""

    #: One row per anomalous bucket of a tenant's series (platform findings attributed).
    anomalies: pd.DataFrame
    #: One row per incident (deduplicated across a tenant's related series).
    incidents: pd.DataFrame
    #: One row per series whose detector raised (recorded, not fatal).
    errors: pd.DataFrame


@dataclass(frozen=True)
class SeriesKey:
    tenant_id: str
    dimension: str
    dimension_value: str
    kpi: str


@dataclass
class KpiSeries:
    """One series on the grid: numerator, denominator and value per bucket (NaN = missing)."""

    key: SeriesKey
    aggregation: str
    numerator: FloatArray
    denominator: FloatArray
    value: FloatArray


@dataclass
class SeriesVerdict:
    """Per bucket of one series: p-value, flag, expected value and interval, methods."""

    key: SeriesKey
    pvalue: FloatArray
    flagged: npt.NDArray[np.bool_]
    expected: FloatArray
    lower: FloatArray
    upper: FloatArray
    methods: list[str] = field(default_factory=list)
    method_flags: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    #: The bucket an explanation quotes the interval of.
    peak_index: int = 0


# --- grid ----------------------------------------------------------------------------------------


def _grid(kpi_rows: pd.DataFrame, grain_minutes: int) -> tuple[np.ndarray, np.ndarray]:
    """(bucket index of every row, grid of bucket starts as naive UTC datetime64[ns])."""
    starts = pd.to_datetime(kpi_rows["bucket_start"], utc=True).dt.tz_localize(None)
    ns = starts.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    step = grain_minutes * 60 * 1_000_000_000
    first = int(ns.min()) // step * step
    index = (ns - first) // step
    points = int(index.max()) + 1
    grid = np.datetime64(first, "ns") + np.arange(points) * np.timedelta64(step, "ns")
    return index.astype(np.int64), grid


def build_series(kpi_rows: pd.DataFrame, grain_minutes: int) -> tuple[list[KpiSeries], np.ndarray]:
    """Every series of the mart on one grid, plus the platform-wide sums of shared dimensions.

    'sum' KPIs are 0 in a bucket without a row from the series' first bucket on (a quiet hour
    is 0 calls); before it, and for 'ratio' KPIs without a row, the bucket is missing.
    """
    index, grid = _grid(kpi_rows, grain_minutes)
    points = len(grid)
    frame = kpi_rows.assign(
        _index=index,
        _numerator=kpi_rows["numerator"].astype(np.float64),
        _denominator=kpi_rows["denominator"].astype(np.float64),
    )
    series: list[KpiSeries] = []
    grouped = frame.groupby([*SERIES_KEYS, "aggregation"], sort=True)
    for (tenant, dimension, value, kpi, aggregation), rows in grouped:
        at = rows["_index"].to_numpy()
        numerator = np.full(points, np.nan)
        denominator = np.full(points, np.nan)
        if aggregation == "sum":
            numerator[at.min() :] = 0.0
            denominator[at.min() :] = 0.0
        numerator[at] = rows["_numerator"].to_numpy()
        denominator[at] = rows["_denominator"].to_numpy()
        key = SeriesKey(str(tenant), str(dimension), str(value), str(kpi))
        series.append(KpiSeries(key, str(aggregation), numerator, denominator, np.nan))
    series += _tenant_sums(series, points)
    platform: dict[tuple[str, str, str, str], KpiSeries] = {}
    for one in series:
        if one.key.dimension not in SHARED_DIMENSIONS:
            continue
        name = (one.key.dimension, one.key.dimension_value, one.key.kpi, one.aggregation)
        total = platform.get(name)
        if total is None:
            key = SeriesKey(PLATFORM, *name[:3])
            total = KpiSeries(
                key, one.aggregation, np.full(points, np.nan), np.full(points, np.nan), np.nan
            )
            platform[name] = total
        total.numerator = _nan_add(total.numerator, one.numerator)
        total.denominator = _nan_add(total.denominator, one.denominator)
    series += list(platform.values())
    for one in series:
        one.value = _value_of(one)
    return series, grid


def _tenant_sums(series: list[KpiSeries], points: int) -> list[KpiSeries]:
    """Per tenant and (dimension, KPI) of ``SUMMED``: the sum of the series' numerators and
    denominators over the dimension's values, as dimension value ``ALL``."""
    totals: dict[tuple[str, str, str, str], KpiSeries] = {}
    for one in series:
        if (one.key.dimension, one.key.kpi) not in SUMMED:
            continue
        tenant = one.key.tenant_id
        name = (tenant, one.key.dimension, one.key.kpi, one.aggregation)
        total = totals.get(name)
        if total is None:
            key = SeriesKey(tenant, one.key.dimension, ALL, one.key.kpi)
            total = KpiSeries(
                key, one.aggregation, np.full(points, np.nan), np.full(points, np.nan), np.nan
            )
            totals[name] = total
        total.numerator = _nan_add(total.numerator, one.numerator)
        total.denominator = _nan_add(total.denominator, one.denominator)
    return list(totals.values())


def _nan_add(left: FloatArray, right: FloatArray) -> FloatArray:
    both = np.isnan(left) & np.isnan(right)
    return np.where(both, np.nan, np.nan_to_num(left) + np.nan_to_num(right))


def _value_of(series: KpiSeries) -> FloatArray:
    if series.aggregation == "sum":
        return series.numerator.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = series.numerator / series.denominator
    return np.where(series.denominator > 0, ratio, np.nan)


# --- seasonal baseline ---------------------------------------------------------------------------


def phases(grid: np.ndarray, grain_minutes: int, offset_minutes: int = 0) -> tuple[np.ndarray, int]:
    """Phase of each bucket (slot of the day, day type: weekday, Saturday, Sunday) and the
    number of slots; the day is UTC shifted by ``offset_minutes`` (a tenant's local day).
    Saturday and Sunday are one day type unless the grid holds ``MIN_DAYS_PER_TYPE`` of each:
    with two Saturdays, a Saturday's expectation would be half its own value."""
    slots = 1440 // grain_minutes if 1440 % grain_minutes == 0 else 1
    minutes = grid.astype("datetime64[m]").astype(np.int64) + offset_minutes
    slot = (minutes % 1440) // grain_minutes if slots > 1 else np.zeros(len(grid), np.int64)
    day = minutes // 1440
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    sundays = len(np.unique(day[weekday == 6]))
    saturdays = len(np.unique(day[weekday == 5]))
    split = min(saturdays, sundays) >= MIN_DAYS_PER_TYPE
    day_type = np.clip(weekday - 4, 0, DAY_TYPES - 1 if split else 1)
    return slot + slots * day_type.astype(np.int64), slots


#: Candidate offsets of a tenant's local day from UTC (minutes), tried by ``local_offsets``.
OFFSETS_MINUTES: tuple[int, ...] = tuple(range(-12 * 60, 14 * 60 + 1, 60))


def _deviance(values: FloatArray, phase: np.ndarray, slots: int) -> float:
    """Poisson deviance of a count series against its own phase means."""
    ok = np.isfinite(values)
    mean, _ = pooled_profile(values, values, phase, slots, ok)
    mu = np.maximum(np.nan_to_num(mean[phase][ok]), 1e-9)
    y = values[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2 * np.sum(term - (y - mu)))


def local_offsets(series: list[KpiSeries], grid: np.ndarray, grain_minutes: int) -> dict[str, int]:
    """Per tenant_id (and the platform): the shift of UTC to the local day that explains its
    busiest tenant-level count series best (least Poisson deviance against its own day-type
    profile, ``phases``). A tenant in UTC-5 has its Sunday evening on Monday UTC: with
    the UTC day, that evening is "a weekday" with a fifth of the volume. Ties go to the
    smallest shift; a tenant without a tenant-level count keeps UTC."""
    busiest: dict[str, FloatArray] = {}
    totals: dict[str, float] = {}
    for one in series:
        key = one.key
        if key.dimension != "tenant" or one.aggregation != "sum" or key.kpi not in COUNT_KPIS:
            continue
        total = float(np.nansum(one.numerator))
        if total > totals.get(key.tenant_id, 0.0):
            busiest[key.tenant_id], totals[key.tenant_id] = one.numerator, total
    if busiest:
        busiest[PLATFORM] = np.nansum(np.vstack(list(busiest.values())), axis=0)
    answer: dict[str, int] = {}
    for tenant, values in busiest.items():
        scored = []
        for offset in OFFSETS_MINUTES:
            phase, slots = phases(grid, grain_minutes, offset)
            scored.append((_deviance(values, phase, slots), abs(offset), offset))
        answer[tenant] = min(scored)[2]
    return answer


def pooled_profile(
    numerator: FloatArray,
    denominator: FloatArray,
    phase: np.ndarray,
    slots: int,
    use: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Per phase: (mean numerator, mean denominator) over the ``use`` buckets of that phase.

    Finer than hourly, a slot is pooled with its neighbour on each side (same day type,
    circular), so that a 5-minute slot seen on 4 weekend days has 12 buckets behind it; hourly
    slots are not (pooling flattens the daily peak, and at platform volumes that bias alone is
    "significant"). A phase without a usable bucket is NaN."""
    n_phases = DAY_TYPES * slots
    ok = use & np.isfinite(numerator) & np.isfinite(denominator)
    num = np.bincount(phase[ok], weights=numerator[ok], minlength=n_phases)
    den = np.bincount(phase[ok], weights=denominator[ok], minlength=n_phases)
    cnt = np.bincount(phase[ok], minlength=n_phases).astype(np.float64)
    if slots > 24:
        pooled = []
        for array in (num, den, cnt):
            halves = array.reshape(DAY_TYPES, slots)
            pooled.append(
                (halves + np.roll(halves, 1, axis=1) + np.roll(halves, -1, axis=1)).ravel()
            )
        num, den, cnt = pooled
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cnt > 0, num / cnt, np.nan), np.where(cnt > 0, den / cnt, np.nan)


#: Share of a phase's buckets left out at each end by the trimmed profile (``trimmed_profile``).
PROFILE_TRIM = 0.1


def trimmed_profile(
    numerator: FloatArray,
    denominator: FloatArray,
    phase: np.ndarray,
    slots: int,
    use: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Per phase: (mean numerator, mean denominator) over the ``use`` buckets of that phase
    whose numerator is not among its ``ceil(PROFILE_TRIM * n)`` smallest or largest (at least
    one bucket kept; pooled with the neighbouring slots like ``pooled_profile``); a phase
    without a usable bucket is NaN.

    The first pass's baseline of a count or money series: a weekend phase of an 8-week history
    has 8 buckets, and one toll-fraud burst of 300 calls makes its mean 40 against a usual 3;
    the first pass then flags every *normal* week of that phase as a fall, the second pass
    leaves them all out, and the baseline stays the contaminated one (a weekly false alert).
    The trimmed mean does not see the burst; the second pass's plain mean leaves it out."""
    n_phases = DAY_TYPES * slots
    ok = use & np.isfinite(numerator) & np.isfinite(denominator)
    at = np.flatnonzero(ok)
    own = phase[at]
    if slots > 24:
        # A bucket of slot s stands for phases s - 1, s and s + 1 of its day type.
        day_type, slot = own // slots, own % slots
        own = np.concatenate([day_type * slots + (slot + shift) % slots for shift in (-1, 0, 1)])
        at = np.tile(at, 3)
    values, amounts = numerator[at], denominator[at]
    order = np.lexsort((values, own))
    own, values, amounts = own[order], values[order], amounts[order]
    count = np.bincount(own, minlength=n_phases)
    first = np.cumsum(count) - count
    rank = np.arange(len(own)) - first[own]
    size = count[own]
    cut = np.minimum(np.ceil(PROFILE_TRIM * size), (size - 1) // 2)
    keep = (rank >= cut) & (rank < size - cut)
    kept = np.bincount(own[keep], minlength=n_phases).astype(np.float64)
    num = np.bincount(own[keep], weights=values[keep], minlength=n_phases)
    den = np.bincount(own[keep], weights=amounts[keep], minlength=n_phases)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(kept > 0, num / kept, np.nan), np.where(kept > 0, den / kept, np.nan)


# --- count-aware tests ---------------------------------------------------------------------------


def binomial_pvalue(
    successes: FloatArray,
    trials: FloatArray,
    rate: FloatArray,
    rho: float = 0.0,
    direction: int = 0,
) -> FloatArray:
    """Tail probability of ``successes`` of ``trials`` at ``rate``, X binomial (``rho = 0``) or
    beta-binomial with intra-bucket correlation ``rho``: ``P(X <= k)`` for ``direction = -1``,
    ``P(X >= k)`` for ``+1``, two-sided ``min(1, 2 min(both))`` for 0. No trials: 1."""
    k = np.rint(np.nan_to_num(successes)).astype(np.int64)
    n = np.rint(np.nan_to_num(trials)).astype(np.int64)
    p = np.clip(np.nan_to_num(rate, nan=0.5), 1e-9, 1 - 1e-9)
    if rho > 1e-6:
        a = p * (1 - rho) / rho
        b = (1 - p) * (1 - rho) / rho
        low = stats.betabinom.cdf(k, n, a, b)
        high = stats.betabinom.sf(k - 1, n, a, b)
    else:
        low = stats.binom.cdf(k, n, p)
        high = stats.binom.sf(k - 1, n, p)
    return np.where((n > 0) & np.isfinite(rate), _tail(low, high, direction), 1.0)


def _tail(low: FloatArray, high: FloatArray, direction: int) -> FloatArray:
    if direction < 0:
        return np.minimum(low, 1.0)
    if direction > 0:
        return np.minimum(high, 1.0)
    return np.minimum(1.0, 2 * np.minimum(low, high))


def count_pvalue(
    count: FloatArray,
    expected: FloatArray,
    size: FloatArray | float = math.inf,
    direction: int = 0,
) -> FloatArray:
    """Tail probability of ``count`` around ``expected`` (one-sided in ``direction``, else
    two-sided): Poisson, or negative binomial (variance ``expected + expected**2 / size``) where
    ``size`` (a number or one per point) is finite. Non-integer counts (money in units of its
    scale) are rounded."""
    y = np.rint(np.nan_to_num(count)).astype(np.int64)
    mu = np.maximum(np.nan_to_num(expected), 1e-9)
    sizes = np.broadcast_to(np.asarray(size, dtype=np.float64), mu.shape)
    finite = np.isfinite(sizes) & (sizes > 0)
    low = stats.poisson.cdf(y, mu)
    high = stats.poisson.sf(y - 1, mu)
    if finite.any():
        n = np.where(finite, sizes, 1.0)
        prob = n / (n + mu)
        low = np.where(finite, stats.nbinom.cdf(y, n, prob), low)
        high = np.where(finite, stats.nbinom.sf(y - 1, n, prob), high)
    return np.where(np.isfinite(count) & np.isfinite(expected), _tail(low, high, direction), 1.0)


def mean_pvalue(
    mean: FloatArray,
    events: FloatArray,
    expected: FloatArray,
    sigma: float,
    direction: int = 0,
    dof: float = math.inf,
) -> FloatArray:
    """Tail of a bucket mean of ``events`` events, z = (mean - expected) sqrt(events) / sigma
    (one-sided in ``direction``, else two-sided): normal, or Student's t with ``dof`` degrees of
    freedom when ``sigma`` is an estimate from ``dof`` buckets (a tenant's rarely used carrier:
    twenty buckets behind its sigma put the 1e-6 tail at z 7.6, not 4.9); fewer than
    ``MIN_MEAN_EVENTS`` events: 1."""
    n = np.nan_to_num(events)
    with np.errstate(invalid="ignore"):
        z = np.nan_to_num((mean - expected) * np.sqrt(n) / sigma)
    if math.isfinite(dof):
        p = _tail(stats.t.cdf(z, dof), stats.t.sf(z, dof), direction)
    else:
        p = _tail(stats.norm.cdf(z), stats.norm.sf(z), direction)
    return np.where((n >= MIN_MEAN_EVENTS) & np.isfinite(z), p, 1.0)


def _trailing_sum(values: FloatArray, window: int) -> FloatArray:
    """Sum of the ``window`` buckets ending at each point (missing counts 0; NaN when all are)."""
    filled = np.nan_to_num(values)
    sums = np.convolve(filled, np.ones(window))[: len(values)]
    seen = np.convolve(np.isfinite(values).astype(np.float64), np.ones(window))[: len(values)]
    return np.where(seen > 0, sums, np.nan)


@dataclass
class CountModel:
    """The count-aware test of one series: expected value per bucket and its dispersion.

    ``kind``: proportion (beta-binomial, ``rho``), count or money (variance ``scale * mu +
    quadratic * mu**2``: ``scale`` 1 for a Poisson count, the amount per event for money;
    ``quadratic`` the squared coefficient of variation of the level from day to day), mean
    (``sigma`` per event)."""

    kind: str
    expected: FloatArray
    kpi: str = ""
    rho: float = 0.0
    scale: float = 1.0
    quadratic: float = 0.0
    sigma: float = 1.0
    direction: int = 0
    #: Buckets behind ``sigma`` (the degrees of freedom of a mean's t test).
    sigma_dof: float = math.inf
    #: Per bucket: the quadratic term of its slot of the day (``slot_quadratic``), at least
    #: ``quadratic``; None: ``quadratic`` everywhere.
    slot_quadratic: FloatArray | None = None

    def pvalues(self, series: KpiSeries, window: int) -> FloatArray:
        num = _trailing_sum(series.numerator, window)
        den = _trailing_sum(series.denominator, window)
        if self.kind == "proportion":
            expected_num = _trailing_sum(series.denominator * self.expected, window)
            with np.errstate(divide="ignore", invalid="ignore"):
                rate = expected_num / den
            return binomial_pvalue(num, den, rate, self.rho, self.direction)
        if self.kind in ("count", "money"):
            # In units of ``scale`` the sum is negative binomial with size 1 / quadratic (the
            # level noise is taken as shared by the window's buckets: conservative).
            expected = _trailing_sum(self.expected, window)
            size: FloatArray | float = 1.0 / self.quadratic if self.quadratic > 1e-9 else math.inf
            if self.slot_quadratic is not None:
                # The window's level noise, shared by its buckets: sd sum(sqrt(q_i) mu_i).
                level_sd = _trailing_sum(np.sqrt(self.slot_quadratic) * self.expected, window)
                with np.errstate(divide="ignore", invalid="ignore"):
                    size = np.where(level_sd > 1e-12, (expected / level_sd) ** 2, math.inf)
            pvalue = count_pvalue(num / self.scale, expected / self.scale, size, self.direction)
            if self.kind == "money":
                material = np.abs(np.nan_to_num(num - expected)) >= MIN_MONEY_EXCESS
                pvalue = np.where(material, pvalue, 1.0)
            return pvalue
        expected_num = _trailing_sum(series.denominator * self.expected, window)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean, expected_mean = num / den, expected_num / den
            pvalue = mean_pvalue(
                mean, den, expected_mean, self.sigma, self.direction, self.sigma_dof
            )
            if self.kpi == "acd_sec":
                drop = np.nan_to_num(1.0 - mean / expected_mean)
                material = (drop >= MIN_ACD_DROP) & (np.nan_to_num(den) >= MIN_ACD_EVENTS)
                pvalue = np.where(material, pvalue, 1.0)
        return pvalue

    def interval(self, series: KpiSeries) -> tuple[FloatArray, FloatArray]:
        """The value band of a single bucket at about ALPHA (normal approximation)."""
        z = float(stats.norm.isf(ALPHA / 2))
        mu = self.expected
        if self.kind == "proportion":
            n = np.maximum(np.nan_to_num(series.denominator), 1.0)
            sd = np.sqrt(mu * (1 - mu) * (1 + (n - 1) * self.rho) / n)
            return np.clip(mu - z * sd, 0, 1), np.clip(mu + z * sd, 0, 1)
        if self.kind in ("count", "money"):
            positive = np.maximum(mu, 0)
            quadratic = self.quadratic if self.slot_quadratic is None else self.slot_quadratic
            sd = np.sqrt(self.scale * positive + quadratic * positive**2)
            return np.maximum(mu - z * sd, 0), mu + z * sd
        n = np.maximum(np.nan_to_num(series.denominator), 1.0)
        sd = self.sigma / np.sqrt(n)
        if math.isfinite(self.sigma_dof):
            z = float(stats.t.isf(ALPHA / 2, self.sigma_dof))
        return mu - z * sd, mu + z * sd


def _kind_of(series: KpiSeries) -> str:
    kpi = series.key.kpi
    if kpi in PROPORTION_KPIS:
        return "proportion"
    if kpi in COUNT_KPIS:
        return "count"
    if kpi in MONEY_KPIS:
        return "money"
    if kpi in MEAN_KPIS:
        return "mean" if series.aggregation == "ratio" else "money"
    return "proportion" if series.aggregation == "ratio" else "money"


def _profile(
    series: KpiSeries,
    phase: np.ndarray,
    slots: int,
    use: npt.NDArray[np.bool_],
    *,
    trimmed: bool = False,
) -> tuple[FloatArray, FloatArray]:
    """Per bucket: the mean numerator and denominator of its phase over ``use`` (the trimmed
    mean, ``trimmed_profile``, when ``trimmed``); a phase with no usable bucket falls back to
    all observed buckets -- their trimmed mean for a count or money series (the buckets a
    first pass left out of a phase may be all of them; their plain mean would be the
    contaminated one the first pass flagged them against)."""
    profile = trimmed_profile if trimmed else pooled_profile
    num, den = profile(series.numerator, series.denominator, phase, slots, use)
    every = np.isfinite(series.numerator)
    fallback = trimmed_profile if _kind_of(series) in ("count", "money") else pooled_profile
    all_num, all_den = fallback(series.numerator, series.denominator, phase, slots, every)
    num = np.where(np.isfinite(num), num, all_num)
    den = np.where(np.isfinite(den), den, all_den)
    return num[phase], den[phase]


def variance_function(
    value: FloatArray, expected: FloatArray, ok: npt.NDArray[np.bool_], *, poisson: bool
) -> tuple[float, float]:
    """(scale, quadratic) of ``Var = scale * mu + quadratic * mu**2``, by non-negative least
    squares of the squared residuals on (mu, mu**2), rows weighted by 1 / mu, trimmed: points
    beyond ``TRIM_Z`` standard deviations of the previous fit are left out and the fit
    repeated, so that the anomalies do not widen their own interval. A count's scale is at
    least 1 (Poisson)."""
    mu = expected[ok]
    r2 = (value[ok] - mu) ** 2
    keep = mu > 0
    mu, r2 = mu[keep], r2[keep]
    if len(mu) < 3:
        return 1.0, 0.0
    weight = 1.0 / np.maximum(mu, float(np.median(mu)) * 0.1 + 1e-12)
    # The first fit leaves out the largest standardised residuals (against the bare count
    # scale), so that a few anomalous buckets do not inflate the first variance so much that
    # the trimming below keeps them; the later fits decide on every point again.
    first = r2 / np.maximum(mu, 1e-12)
    inside = first <= np.quantile(first, 1.0 - INITIAL_TRIM)
    scale, quadratic = 1.0, 0.0
    for _ in range(3):
        target = r2 - (mu if poisson else 0.0)
        design = np.column_stack([mu, mu**2]) * weight[:, None]
        (linear, quadratic), _ = optimize.nnls(design[inside], (target * weight)[inside])
        scale = 1.0 + linear if poisson else linear
        if scale <= 1e-12:  # everything went to the quadratic term: a small linear one
            scale = max(float(np.mean(r2[inside]) / max(np.mean(mu[inside]), 1e-12)) * 0.1, 1e-9)
        variance = scale * mu + quadratic * mu**2
        inside = r2 <= TRIM_Z**2 * variance
    return float(scale), float(quadratic)


#: Median of a chi-square variable with one degree of freedom: the median squared standardised
#: residual of a well-fitted variance.
CHI2_MEDIAN = float(stats.chi2.ppf(0.5, 1))
#: A count's median-based dispersion uses buckets expecting at least this many events (below,
#: Poisson counts are too discrete for the median to mean much), and needs this many of them.
ROBUST_MIN_EXPECTED = 5.0
ROBUST_MIN_BUCKETS = 24
#: (dimension, KPI) whose overdispersion is the median-based one: a queue's calls, customers'
#: arrivals. A tenant's or carrier's calls include outbound dialer campaigns and message
#: volume is campaigns: bursts are their normal, part of their dispersion.
ROBUST_DISPERSION = frozenset({("queue", "call_volume")})


def _median_excess(mu: FloatArray, squares: FloatArray, scale: float) -> Callable[[float], float]:
    """``q`` -> median of ``squares / (scale mu + q mu**2)`` less the chi-square median: the
    root is the overdispersion at which the buckets' median standardised residual is typical
    (``robust_quadratic`` and ``slot_quadratic`` solve it)."""

    def excess(q: float) -> float:
        return float(np.median(squares / (scale * mu + q * mu**2))) - CHI2_MEDIAN

    return excess


def robust_quadratic(
    value: FloatArray,
    expected: FloatArray,
    ok: npt.NDArray[np.bool_],
    scale: float,
    quadratic: float,
) -> float:
    """A count's overdispersion from the *median* standardised residual: the ``quadratic`` for
    which the median of ``r**2 / (scale mu + quadratic mu**2)`` over the busier buckets is the
    chi-square median; never more than the least-squares ``quadratic``. The least-squares fit
    is a mean of squares: three traffic spikes of a fortnight (ten of 336 hours, z 5..10) make
    it several times the hour-to-hour noise and hide themselves; the median does not see them.
    Too few busy buckets: the least-squares value."""
    busy = ok & (expected >= ROBUST_MIN_EXPECTED)
    if busy.sum() < ROBUST_MIN_BUCKETS:
        return quadratic
    excess = _median_excess(expected[busy], (value[busy] - expected[busy]) ** 2, scale)
    if quadratic <= 0 or excess(0.0) <= 0:
        return 0.0 if excess(0.0) <= 0 else quadratic
    if excess(quadratic) >= 0:
        return quadratic
    return float(optimize.brentq(excess, 0.0, quadratic, xtol=1e-6))


def slot_quadratic(
    value: FloatArray,
    expected: FloatArray,
    ok: npt.NDArray[np.bool_],
    scale: float,
    quadratic: float,
    slot: np.ndarray,
) -> FloatArray:
    """Per bucket: the overdispersion of its slot of the day, at least ``quadratic`` -- the
    ``q`` for which the median of ``r**2 / (scale mu + q mu**2)`` over the slot's buckets
    expecting at least ``ROBUST_MIN_EXPECTED`` is the chi-square median (``robust_quadratic``'s
    rule, one slot at a time). A slot with fewer than ``ROBUST_MIN_BUCKETS`` such buckets keeps
    ``quadratic``.

    Why by slot: a tenant's calls include its dialer campaigns, whose teams work early on some
    days and late on others, and whose campaigns start and end: the evening hours of a
    campaign tenant are 20 calls one day and 80 the next, while its mornings vary by a few
    percent. One quadratic term for the whole series is the mornings' (most buckets), and
    every late-shift evening is then an anomaly. The median keeps an anomaly of a few days out
    of its slot's estimate."""
    answer = np.full(len(value), float(quadratic))
    busy = ok & (expected >= ROBUST_MIN_EXPECTED)
    r2 = (value - expected) ** 2
    for one in np.unique(slot[busy]):
        chosen = busy & (slot == one)
        if chosen.sum() < ROBUST_MIN_BUCKETS:
            continue
        excess = _median_excess(expected[chosen], r2[chosen], scale)
        if excess(quadratic) <= 0:
            continue
        high = max(2.0 * quadratic, 1e-3)
        while excess(high) > 0 and high < 1e3:
            high *= 2.0
        if excess(high) > 0:
            answer[slot == one] = high
            continue
        answer[slot == one] = float(optimize.brentq(excess, quadratic, high, xtol=1e-6))
    return answer


#: The level of a count series is the seasonal profile times the level of the last hours.
LEVEL_HOURS = 6


def local_level(
    value: FloatArray,
    profile: FloatArray,
    use: npt.NDArray[np.bool_],
    slots: int,
    *,
    robust: bool = True,
) -> FloatArray:
    """Per bucket: how busy the series has been over the ``LEVEL_HOURS`` before it, relative
    to its seasonal profile -- the median over those buckets of ``(observed + prior) /
    (profile + prior)``, the prior one average bucket's volume, so a quiet night moves it
    little; buckets left out (``use`` false) count as expected. The median, not the ratio of
    sums: a spike of an hour or two is no change of the day's level, and the hours after it
    are judged against the day, not against the spike. Day-to-day swings of traffic then stay
    out of the overdispersion, and a spike is judged against the day it happens on.
    ``robust`` false (money): the ratio of the window's sums, with a prior of half the
    window's expected amount -- a campaign's first hours do lift the level of the next."""
    window = max(2, round(LEVEL_HOURS * slots / 24))
    seen = np.where(use & np.isfinite(value), value, profile)
    if not robust:
        observed = np.convolve(seen, np.ones(window))[: len(value)]
        expected = np.convolve(profile, np.ones(window))[: len(value)]
        observed = np.concatenate([[0.0], observed[:-1]])
        expected = np.concatenate([[0.0], expected[:-1]])
        total_prior = 0.5 * float(np.mean(profile)) * window
        level = (observed + total_prior) / np.maximum(expected + total_prior, 1e-12)
        return np.clip(level, 0.25, 4.0)
    prior = max(float(np.mean(profile)), 1e-12)
    ratio = (seen + prior) / np.maximum(profile + prior, 1e-12)
    # The window *before* each bucket; before the series' start, buckets count as expected.
    padded = np.concatenate([np.ones(window), ratio[:-1]])
    level = np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    return np.clip(level, 0.25, 4.0)


def fit_count_model(
    series: KpiSeries,
    phase: np.ndarray,
    slots: int,
    use: npt.NDArray[np.bool_],
    *,
    robust: bool = False,
) -> CountModel:
    """Seasonal expectation (mean of the bucket's phase over the ``use`` buckets; for a count
    or money series with ``robust``, the trimmed mean, ``trimmed_profile``) and dispersion,
    estimated on the same buckets."""
    kind = _kind_of(series)
    direction = BAD_DIRECTION.get(series.key.kpi, 0)
    if kind in ("proportion", "mean"):
        # Rates and means depend on the hour, hardly on the day type: every day's bucket of
        # the slot is behind its expectation (a weekend slot of a short history would have
        # two, one of them the anomaly itself).
        phase = phase % slots
    num, den = _profile(series, phase, slots, use, trimmed=robust and kind in ("count", "money"))
    observed = np.isfinite(series.value)
    ok = use & observed
    if kind in ("proportion", "mean"):
        pooled_den = max(float(np.nansum(series.denominator[ok])), 1e-9)
        overall = float(np.nansum(series.numerator[ok])) / pooled_den
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(den > 0, num / den, overall)
        n = np.nan_to_num(series.denominator)
        if kind == "proportion":
            # Trials behind each phase's rate (unpooled: understates them for pooled slots,
            # which only strengthens the shrinkage).
            history = np.bincount(
                phase[ok],
                weights=np.nan_to_num(series.denominator[ok]),
                minlength=DAY_TYPES * slots,
            )[phase]
            rate = (np.clip(rate, 0.0, 1.0) * history + PRIOR_TRIALS * overall) / (
                history + PRIOR_TRIALS
            )
            variance = np.maximum(rate * (1 - rate), 1e-12)
            with np.errstate(divide="ignore", invalid="ignore"):
                r2 = (series.value - rate) ** 2 * n / variance
            usable = ok & (n >= 2)
            if not usable.any():
                return CountModel(kind, rate, kpi=series.key.kpi, direction=direction)
            # Method of moments, E[r2] = 1 + (n - 1) rho for a beta-binomial, trimmed like
            # the count variance (points beyond TRIM_Z of the previous fit left out).
            rho = 0.0
            for _ in range(3):
                rho = float(np.sum(r2[usable] - 1) / np.sum(n[usable] - 1))
                rho = float(np.clip(rho, 0.0, 0.5))
                usable = usable & (r2 <= TRIM_Z**2 * (1 + (n - 1) * rho))
            return CountModel(
                kind,
                rate,
                kpi=series.key.kpi,
                rho=float(np.clip(rho, 0.0, 0.5)),
                direction=direction,
            )
        usable = ok & (n >= MIN_MEAN_EVENTS)
        scaled = (series.value - rate) * np.sqrt(n)
        sigma, behind = 1.0, 0
        for _ in range(3):
            if not usable.any():
                break
            sigma, behind = float(np.sqrt(np.mean(scaled[usable] ** 2))), int(usable.sum())
            usable = usable & (np.abs(scaled) <= TRIM_Z * sigma)
        return CountModel(
            kind,
            rate,
            kpi=series.key.kpi,
            sigma=max(sigma, 1e-9),
            direction=direction,
            sigma_dof=float(max(behind, 1)),
        )
    expected = np.nan_to_num(num)
    # Never expect exactly nothing: a phase with no event in its history may still see one
    # (half an event over the days behind it), so one call at night is no alarm; 150 are.
    events = float(np.nansum(series.denominator[ok]))
    amount = float(np.nansum(series.numerator[ok]))
    per_event = amount / events if kind == "money" and events > 0 and amount > 0 else 1.0
    days = max(1.0, float(ok.sum()) / slots)
    expected = np.maximum(expected, per_event * 0.5 / days)
    if (series.key.dimension, series.key.kpi) not in ROBUST_DISPERSION:
        expected = expected * local_level(
            series.value, expected, use, slots, robust=kind == "count"
        )
    scale, quadratic = variance_function(series.value, expected, ok, poisson=kind == "count")
    by_slot = None
    if (series.key.dimension, series.key.kpi) in ROBUST_DISPERSION:
        quadratic = robust_quadratic(series.value, expected, ok, scale, quadratic)
    elif kind == "count":
        by_slot = slot_quadratic(series.value, expected, ok, scale, quadratic, phase % slots)
    return CountModel(
        kind,
        expected,
        kpi=series.key.kpi,
        scale=scale,
        quadratic=quadratic,
        direction=direction,
        slot_quadratic=by_slot,
    )


def count_test(series: KpiSeries, phase: np.ndarray, slots: int) -> tuple[FloatArray, CountModel]:
    """Per bucket: the Bonferroni-combined p-value over the trailing windows, and the model.

    Two passes: the second's baseline and dispersion leave out the buckets the first flagged
    (and the window after them), so an outage neither lowers its own expectation nor widens
    its own interval. The first pass's baseline of a count or money series is the phases'
    trimmed mean (``trimmed_profile``): a burst in a phase of few buckets must not become the
    expectation the phase's normal buckets are flagged against. What the second pass leaves out
    is tested two-sided even for a one-sided KPI: a spend burst of 500 is no incident of spend
    (its calls' cost is), but no part of the normal Sunday night either."""
    observed = np.isfinite(series.value)
    model = fit_count_model(series, phase, slots, observed, robust=True)
    pvalue = _combined(model, series)
    both = pvalue if model.direction == 0 else _combined(replace(model, direction=0), series)
    flagged = both < ALPHA
    if flagged.any():
        spread = flagged.copy()
        for lag in range(1, max(WINDOWS)):
            spread[lag:] |= flagged[:-lag]
        model = fit_count_model(series, phase, slots, observed & ~spread)
        pvalue = _combined(model, series)
    return pvalue, model


def _combined(model: CountModel, series: KpiSeries) -> FloatArray:
    smallest = np.min([model.pvalues(series, window) for window in WINDOWS], axis=0)
    pvalue = np.minimum(1.0, len(WINDOWS) * smallest)
    return np.where(np.isfinite(series.value), pvalue, 1.0)


# --- residual detectors (on the value series) ----------------------------------------------------


def residual_pvalues(
    series: KpiSeries, grid: np.ndarray, grain_minutes: int
) -> dict[str, FloatArray]:
    """Each residual detector's calibrated tail probability per bucket (NaN-free)."""
    regular = RegularSeries(grid, series.value, grain_minutes * 60.0, name=series.key.kpi)
    periods = infer_periods(regular)
    detectors = {
        "robust_z": RobustSeasonalZ(periods=periods),
        "iqr": IqrFences(periods=periods),
        "level_shift": LevelShift(periods=periods),
    }
    answer: dict[str, FloatArray] = {}
    for name, detector in detectors.items():
        result = detector.fit(regular).score(regular)
        if not np.isfinite(result.scores).any():
            # A sparse series (e.g. MOS of a carrier a tenant rarely uses) can have 30
            # observed buckets and still no bucket with a seasonal baseline behind it: the
            # detector has no opinion, which is not an error of the series.
            pvalue = np.ones(len(grid))
        else:
            pvalue = TailCalibrator().fit(result.scores).pvalue(result.scores)
        # The detector's own verdict decides; the calibrated p gives the score.
        answer[name] = np.where(result.is_anomaly, pvalue, 1.0)
        answer[f"{name}:p"] = pvalue
        answer[f"{name}:expected"] = result.expected
        answer[f"{name}:lower"] = result.lower
        answer[f"{name}:upper"] = result.upper
    return answer


# --- per series ----------------------------------------------------------------------------------


def verdict_of(
    series: KpiSeries,
    grid: np.ndarray,
    grain_minutes: int,
    method: str,
    phase: np.ndarray,
    slots: int,
) -> SeriesVerdict:
    observed = np.isfinite(series.value)
    if method in RESIDUAL_DETECTORS:
        found = residual_pvalues(series, grid, grain_minutes)
        pvalue = np.where(observed, found[f"{method}:p"], 1.0)
        flagged = (found[method] < 1.0) & observed
        return SeriesVerdict(
            series.key,
            pvalue,
            flagged,
            found[f"{method}:expected"],
            found[f"{method}:lower"],
            found[f"{method}:upper"],
            [method],
            {method: flagged},
        )
    pvalue, model = count_test(series, phase, slots)
    lower, upper = model.interval(series)
    flagged = (pvalue < ALPHA) & observed
    verdict = SeriesVerdict(
        series.key, pvalue, flagged, model.expected, lower, upper, ["count"], {"count": flagged}
    )
    if method == "ensemble":
        _ensemble(verdict, series, grid, grain_minutes)
    return verdict


def _ensemble(
    verdict: SeriesVerdict, series: KpiSeries, grid: np.ndarray, grain_minutes: int
) -> None:
    """The count-aware verdict, extended by the residual detectors where the count model
    corroborates them: a bucket a residual detector flags (its own rule, and its calibrated
    tail probability below ``RESIDUAL_ALPHA`` after Bonferroni over the three) is anomalous
    when the count test also gives it ``p < CORROBORATE``. Alone, the residual detectors
    flag 0-of-1 ASR swings; alone, the count test needs very strong evidence. The residual
    detectors run only on series with enough observed buckets (``MIN_OBSERVED``)."""
    observed = np.isfinite(series.value)
    if observed.sum() < MIN_OBSERVED:
        return
    found = residual_pvalues(series, grid, grain_minutes)
    corroborated = verdict.pvalue < CORROBORATE
    members = np.vstack([found[f"{name}:p"] for name in RESIDUAL_DETECTORS])
    combined = np.minimum(1.0, len(RESIDUAL_DETECTORS) * members.min(axis=0))
    for name in RESIDUAL_DETECTORS:
        fired = (found[name] < 1.0) & (combined < RESIDUAL_ALPHA) & corroborated & observed
        verdict.method_flags[name] = fired
        verdict.flagged = verdict.flagged | fired
    verdict.methods = ["count", *RESIDUAL_DETECTORS]


# --- incidents -----------------------------------------------------------------------------------


@dataclass
class SeriesIncident:
    key: SeriesKey
    start: int
    end: int
    peak: int
    surprise: float
    explanation: str
    platform: bool = False


def _surprise(p: FloatArray) -> FloatArray:
    return -np.log10(np.clip(p, 1e-300, 1.0))


def _score(p: FloatArray) -> FloatArray:
    """``s / (s + CRITICAL_SURPRISE)`` with ``s = -log10 p``: ranks anomalies by evidence
    without saturating (p = 1e-6 scores 1/3, the critical 1e-12 scores 1/2, 1e-36 scores
    3/4; p is floored at 1e-300, so the score stays below 300/312 = 0.96)."""
    surprise = _surprise(p)
    return surprise / (surprise + CRITICAL_SURPRISE)


def _fmt(value: float, kpi: str) -> str:
    if not np.isfinite(value):
        return "-"
    if kpi in PROPORTION_KPIS:
        return f"{value:.1%}"
    if kpi == "mos":
        return f"{value:.2f}"
    return f"{value:,.1f}"


def _describe(
    key: SeriesKey,
    series: KpiSeries,
    verdict: SeriesVerdict,
    start: int,
    end: int,
    grid: np.ndarray,
    grain_minutes: int,
) -> str:
    """Which dimension moved, by how much against the expected value and interval, when."""
    window = slice(start, end + 1)
    if series.aggregation == "ratio":
        den = np.nansum(series.denominator[window])
        observed = np.nansum(series.numerator[window]) / den if den > 0 else np.nan
        expected = (
            np.nansum(series.denominator[window] * verdict.expected[window]) / den
            if den > 0
            else np.nan
        )
        basis = f" over {den:,.0f} {'events' if key.kpi not in PROPORTION_KPIS else 'trials'}"
    else:
        observed = float(np.nansum(series.value[window]))
        expected = float(np.nansum(verdict.expected[window]))
        basis = ""
    change = (observed - expected) / expected if expected and np.isfinite(expected) else np.nan
    where = "" if key.dimension == "tenant" else f" on {key.dimension} {key.dimension_value}"
    begin = pd.Timestamp(grid[start]).strftime("%Y-%m-%d %H:%M")
    finish = pd.Timestamp(grid[end] + np.timedelta64(grain_minutes, "m")).strftime("%H:%M")
    lower, upper = verdict.lower[verdict.peak_index], verdict.upper[verdict.peak_index]
    relative = f" ({change:+.0%})" if np.isfinite(change) else ""
    return (
        f"{key.kpi}{where}: {_fmt(observed, key.kpi)} vs expected {_fmt(expected, key.kpi)}"
        f"{relative}{basis}, {begin}-{finish} UTC; peak bucket interval "
        f"{_fmt(lower, key.kpi)}..{_fmt(upper, key.kpi)}"
    )


def _series_incidents(
    verdict: SeriesVerdict, series: KpiSeries, grid: np.ndarray, grain_minutes: int
) -> list[SeriesIncident]:
    found = build_incidents(grid, verdict.flagged, _surprise(verdict.pvalue), RULES)
    answer = []
    for incident in found:
        verdict.peak_index = incident.peak_index
        answer.append(
            SeriesIncident(
                verdict.key,
                incident.start_index,
                incident.end_index,
                incident.peak_index,
                incident.score,
                _describe(
                    verdict.key,
                    series,
                    verdict,
                    incident.start_index,
                    incident.end_index,
                    grid,
                    grain_minutes,
                ),
            )
        )
    return answer


def _related(a: SeriesIncident, b: SeriesIncident) -> bool:
    if a.key.kpi == b.key.kpi:
        return True
    if a.key.kpi in RELATED_KPIS and b.key.kpi in RELATED_KPIS:
        return True
    return a.key.dimension != "tenant" and (a.key.dimension, a.key.dimension_value) == (
        b.key.dimension,
        b.key.dimension_value,
    )


def dedupe(incidents: list[SeriesIncident], gap: int) -> list[list[SeriesIncident]]:
    """One tenant's series incidents grouped: overlapping (within ``gap`` buckets) and related
    (same KPI, same non-tenant dimension value, or volume and money) belong together."""
    parent = list(range(len(incidents)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(incidents)), key=lambda i: incidents[i].start)
    for position, i in enumerate(order):
        for j in order[position + 1 :]:
            if incidents[j].start > incidents[i].end + gap + 1:
                break
            if _related(incidents[i], incidents[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[SeriesIncident]] = {}
    for i in order:
        groups.setdefault(root(i), []).append(incidents[i])
    return list(groups.values())


def incident_id(tenant: str, dimension: str, value: str, kpi: str, start: np.datetime64) -> str:
    text = f"{tenant}|{dimension}|{value}|{kpi}|{pd.Timestamp(start).isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- entry point ---------------------------------------------------------------------------------


def detect_kpi_anomalies(
    kpi_rows: pd.DataFrame, *, grain_minutes: int, method: str = "ensemble"
) -> KpiDetection:
    """Anomalous buckets and incidents of a KPI series mart's rows (module doc).

    ``kpi_rows``: columns tenant_id, bucket_start (UTC), grain_minutes, dimension,
    dimension_value, kpi, aggregation, numerator, denominator, value. ``method``: one of
    ``METHODS``. A series whose detector raises is recorded in ``errors`` and skipped.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    if kpi_rows.empty:
        return KpiDetection(
            pd.DataFrame(columns=ANOMALY_COLUMNS),
            pd.DataFrame(columns=INCIDENT_COLUMNS),
            pd.DataFrame(columns=ERROR_COLUMNS),
        )
    series, grid = build_series(kpi_rows, grain_minutes)
    offsets = local_offsets(series, grid, grain_minutes)
    by_key = {one.key: one for one in series}
    verdicts: dict[SeriesKey, SeriesVerdict] = {}
    errors: list[dict[str, str]] = []
    for one in series:
        phase, slots = phases(grid, grain_minutes, offsets.get(one.key.tenant_id, 0))
        try:
            verdicts[one.key] = verdict_of(one, grid, grain_minutes, method, phase, slots)
        except Exception as error:  # a failing series is recorded, not fatal
            if one.key.tenant_id != PLATFORM:
                errors.append(
                    {**_key_columns(one.key), "error": f"{type(error).__name__}: {error}"}
                )
    anomalies: list[dict[str, object]] = []
    per_tenant: dict[str, list[SeriesIncident]] = {}
    tenants = sorted({key.tenant_id for key in by_key if key.tenant_id != PLATFORM})
    for key, verdict in verdicts.items():
        one = by_key[key]
        found = _series_incidents(verdict, one, grid, grain_minutes)
        if key.tenant_id != PLATFORM:
            anomalies += _anomaly_rows(key, one, verdict, verdict.flagged, grid, "")
            for incident in found:
                per_tenant.setdefault(key.tenant_id, []).append(incident)
            continue
        # A platform finding: attributed to each tenant with traffic on the resource then.
        for incident in found:
            window = slice(incident.start, incident.end + 1)
            if not _shared_fault(one, verdict, window):
                continue
            for tenant in tenants:
                mine = by_key.get(SeriesKey(tenant, key.dimension, key.dimension_value, key.kpi))
                if mine is None or not _takes_part(
                    mine, verdicts.get(mine.key), verdict, one, window
                ):
                    continue
                tenant_key = mine.key
                tenant_verdict = verdicts.get(tenant_key)
                note = f"platform-wide {incident.explanation}"
                if tenant_verdict is not None:
                    tenant_verdict.peak_index = incident.peak
                    mine_text = _describe(
                        tenant_key,
                        mine,
                        tenant_verdict,
                        incident.start,
                        incident.end,
                        grid,
                        grain_minutes,
                    )
                    note = f"{note}; this tenant: {mine_text}"
                per_tenant.setdefault(tenant, []).append(
                    SeriesIncident(
                        tenant_key,
                        incident.start,
                        incident.end,
                        incident.peak,
                        incident.surprise,
                        note,
                        platform=True,
                    )
                )
                flags = np.zeros(len(grid), dtype=bool)
                flags[window] = verdict.flagged[window]
                if tenant_verdict is not None:
                    anomalies += _anomaly_rows(
                        tenant_key,
                        mine,
                        tenant_verdict,
                        flags & np.isfinite(mine.value),
                        grid,
                        note,
                        pvalue=verdict.pvalue,
                    )
    incidents = []
    for tenant, found in sorted(per_tenant.items()):
        for group in dedupe(found, RULES.cooldown):
            incidents.append(_incident_row(tenant, group, grid, grain_minutes))
    anomalies_frame = pd.DataFrame(anomalies, columns=ANOMALY_COLUMNS)
    if not anomalies_frame.empty:
        anomalies_frame = (
            anomalies_frame.sort_values(
                ["tenant_id", "bucket_start", "score"], ascending=[True, True, False]
            )
            .drop_duplicates(["tenant_id", "dimension", "dimension_value", "kpi", "bucket_start"])
            .reset_index(drop=True)
        )
    incidents_frame = pd.DataFrame(incidents, columns=INCIDENT_COLUMNS)
    if not incidents_frame.empty:
        incidents_frame = incidents_frame.sort_values(["tenant_id", "start"]).reset_index(drop=True)
    return KpiDetection(
        anomalies_frame, incidents_frame, pd.DataFrame(errors, columns=ERROR_COLUMNS)
    )


#: A tenant shares a platform incident when its own deviation goes the same way and is at least
#: this share of the platform's (a toll-fraud burst of one tenant on a carrier is not the
#: other tenants' incident; an outage is everyone's).
MIN_SHARE = 0.1


def _deviation(series: KpiSeries, expected: FloatArray, window: slice) -> float:
    """Observed minus expected over ``window``, in numerator units."""
    if series.aggregation == "ratio":
        den = np.nan_to_num(series.denominator[window])
        return float(np.nansum(series.numerator[window]) - np.nansum(den * expected[window]))
    return float(np.nansum(series.value[window]) - np.nansum(expected[window]))


def _shared_fault(platform: KpiSeries, verdict: SeriesVerdict, window: slice) -> bool:
    """Whether a platform-wide finding is the resource's fault, to be told to its tenants: a
    rate or mean (ASR, MOS, delivery), or a fall of volume or money. A *rise* of a carrier's
    calls or cost is the sum of tenants' rises (a spike, a fraud burst), which each tenant's
    own series tests with its own numbers; attributed, it would be every tenant's alert."""
    if platform.key.kpi not in COUNT_KPIS | MONEY_KPIS:
        return True
    return _deviation(platform, verdict.expected, window) < 0


def _takes_part(
    mine: KpiSeries,
    mine_verdict: SeriesVerdict | None,
    platform_verdict: SeriesVerdict,
    platform: KpiSeries,
    window: slice,
) -> bool:
    if mine_verdict is None or not (np.nan_to_num(mine.denominator[window]) > 0).any():
        return False
    total = _deviation(platform, platform_verdict.expected, window)
    own = _deviation(mine, mine_verdict.expected, window)
    return total != 0 and own / total >= MIN_SHARE


def _key_columns(key: SeriesKey) -> dict[str, str]:
    return {
        "tenant_id": key.tenant_id,
        "dimension": key.dimension,
        "dimension_value": key.dimension_value,
        "kpi": key.kpi,
    }


def _anomaly_rows(
    key: SeriesKey,
    series: KpiSeries,
    verdict: SeriesVerdict,
    flags: npt.NDArray[np.bool_],
    grid: np.ndarray,
    note: str,
    pvalue: FloatArray | None = None,
) -> list[dict[str, object]]:
    p = verdict.pvalue if pvalue is None else pvalue
    rows = []
    for i in np.flatnonzero(flags):
        methods = [
            name for name, fired in verdict.method_flags.items() if fired[i]
        ] or verdict.methods
        value, expected = float(series.value[i]), float(verdict.expected[i])
        where = "" if key.dimension == "tenant" else f" on {key.dimension} {key.dimension_value}"
        text = note or (
            f"{key.kpi}{where}: {_fmt(value, key.kpi)} vs expected {_fmt(expected, key.kpi)} "
            f"(interval {_fmt(float(verdict.lower[i]), key.kpi)}.."
            f"{_fmt(float(verdict.upper[i]), key.kpi)})"
        )
        rows.append(
            {
                **_key_columns(key),
                "bucket_start": pd.Timestamp(grid[i], tz="UTC"),
                "value": value,
                "expected": expected,
                "lower": float(verdict.lower[i]),
                "upper": float(verdict.upper[i]),
                "score": float(_score(np.array([p[i]]))[0]),
                "methods": ",".join(methods),
                "explanation": text,
            }
        )
    return rows


def _incident_row(
    tenant: str, group: list[SeriesIncident], grid: np.ndarray, grain_minutes: int
) -> dict[str, object]:
    lead = max(group, key=lambda one: (SPECIFICITY.get(one.key.dimension, 0), one.surprise))
    start = min(one.start for one in group)
    end = max(one.end for one in group)
    peak = max(one.surprise for one in group)
    others = sorted(
        {f"{one.key.kpi} ({one.key.dimension} {one.key.dimension_value})" for one in group}
        - {f"{lead.key.kpi} ({lead.key.dimension} {lead.key.dimension_value})"}
    )
    explanation = lead.explanation + (f"; also moved: {', '.join(others)}" if others else "")
    return {
        "incident_id": incident_id(
            tenant, lead.key.dimension, lead.key.dimension_value, lead.key.kpi, grid[start]
        ),
        "tenant_id": tenant,
        "dimension": lead.key.dimension,
        "dimension_value": lead.key.dimension_value,
        "kpi": lead.key.kpi,
        "start": pd.Timestamp(grid[start], tz="UTC"),
        "end": pd.Timestamp(grid[end] + np.timedelta64(grain_minutes, "m"), tz="UTC"),
        "severity": "critical" if peak >= CRITICAL_SURPRISE else "warning",
        "peak_score": float(peak / (peak + CRITICAL_SURPRISE)),
        "explanation": explanation,
    }


__all__ = [
    "METHODS",
    "KpiDetection",
    "binomial_pvalue",
    "count_pvalue",
    "detect_kpi_anomalies",
    "mean_pvalue",
]
