"""``/v1/wfm``: the caller's stored interval forecasts (or an intraday re-forecast of the rest of
the day), staffing for explicit volumes or a stored forecast, and forecast accuracy.

Forecasts, staffing and accuracy are published by the WFM pipeline (pipelines/wfm, marts
``forecast_intervals``, ``staffing_requirements``, ``forecast_accuracy``); the API never runs a
pipeline. Staffing and the intraday re-forecast are pure maths from ``models_ml.wfm`` computed per
request, the same functions ``irisx wfm staffing`` uses, so the API and the CLI agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

import numpy as np
import pandas as pd
import pyarrow as pa
from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from models_ml.wfm.interval_staffing import ServiceTargets, staff_intervals
from models_ml.wfm.intraday import DEFAULT_PRIOR_CALLS, intraday_reforecast
from serving.api.deps import CurrentTenant, MartReaderDep, NowDep
from serving.api.problems import problem_responses
from serving.marts import FORECAST_ACCURACY, FORECAST_INTERVALS, QUEUE_INTERVAL_STATS
from warehouse.marts import DateRange, MartReader

router = APIRouter(prefix="/v1/wfm", tags=["workforce management"])

INTERVAL_MINUTES = 15  # the grain of the stored forecasts (queue_interval_stats)
MAX_HORIZON_INTERVALS = 14 * 96
MAX_EXPLICIT_INTERVALS = 10_000
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
_NO_FORECAST = {404: "The caller has no stored forecast for this queue (and period)"}
_ERRORS = problem_responses(401, 422, 500, 503)
_ERRORS_404 = problem_responses(401, 404, 422, 500, 503, descriptions=_NO_FORECAST)

SeriesName = Literal["volume", "aht"]
Evaluation = Literal["backtest", "realised"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ForecastRequest(_Body):
    """Which forecast: a queue, where to start and how many 15-minute intervals; or, with
    ``intraday``, the rest of ``as_of``'s UTC day re-forecast from that day's actuals so far."""

    queue_id: str = Field(pattern=_ID_PATTERN, description="ACD queue")
    horizon_intervals: int = Field(
        default=96, ge=1, le=MAX_HORIZON_INTERVALS, description="15-minute intervals to return"
    )
    start: AwareDatetime | None = Field(
        default=None,
        description="First interval (floored to 15 minutes). Default: the newest forecast's "
        "origin (stored), or the first interval not yet complete at as_of (intraday)",
    )
    intraday: bool = Field(
        default=False,
        description="Re-forecast the rest of as_of's day: the stored forecast x (actual + k) / "
        "(forecast + k) over the day's complete intervals (docs/wfm.md)",
    )
    as_of: AwareDatetime | None = Field(
        default=None, description="Intraday only: the time the actuals are read up to (default now)"
    )
    prior_calls: float = Field(
        default=DEFAULT_PRIOR_CALLS,
        gt=0,
        le=100_000,
        description="Intraday only: k, the shrinkage prior in calls",
    )


class ForecastIntervalRow(BaseModel):
    """One 15-minute interval's forecast volume (calls offered) and AHT, with intervals."""

    interval_start: datetime = Field(description="Start of the 15-minute interval (UTC)")
    volume_mean: float = Field(description="Expected calls offered")
    volume_lo80: float = Field(description="Lower end of the 80 % prediction interval")
    volume_hi80: float = Field(description="Upper end of the 80 % prediction interval")
    volume_lo95: float = Field(description="Lower end of the 95 % prediction interval")
    volume_hi95: float = Field(description="Upper end of the 95 % prediction interval")
    aht_mean_sec: float = Field(description="Expected average handle time, seconds")
    aht_lo80_sec: float = Field(description="AHT 80 % interval, lower end")
    aht_hi80_sec: float = Field(description="AHT 80 % interval, upper end")
    aht_lo95_sec: float = Field(description="AHT 95 % interval, lower end")
    aht_hi95_sec: float = Field(description="AHT 95 % interval, upper end")


class IntradayAdjustment(BaseModel):
    """How the intraday factor was reached."""

    as_of: datetime = Field(description="Actuals read up to this time")
    complete_intervals: int = Field(description="Intervals of the day over at as_of")
    actual_to_date: float = Field(description="Calls offered in those intervals")
    forecast_to_date: float = Field(description="Calls the stored forecast expected in them")
    prior_calls: float = Field(description="k, the shrinkage prior in calls")
    factor: float = Field(description="(actual + k) / (forecast + k): applied to the rest")


class ForecastResponse(BaseModel):
    """The caller's forecast for one queue."""

    tenant_id: str = Field(description="The tenant of the API key")
    queue_id: str = Field(description="ACD queue")
    mode: Literal["stored", "intraday"] = Field(description="Stored forecast or re-forecast")
    forecast_origin: datetime = Field(description="Where the stored forecast run started")
    forecast_made_at: datetime = Field(description="When the stored forecast run was made")
    volume_model: str = Field(description="Model of the volume forecast")
    aht_model: str = Field(description="Model of the AHT forecast")
    intraday: IntradayAdjustment | None = Field(description="Intraday only: the adjustment")
    intervals: list[ForecastIntervalRow] = Field(description="By interval start")


class StaffingTargetsBody(_Body):
    """Service targets (defaults as ``irisx wfm staffing``)."""

    answer_within_seconds: float = Field(default=20, ge=0, description="Service-level threshold")
    service_level: float = Field(default=0.8, ge=0, lt=1, description="Target share in time")
    max_occupancy: float = Field(default=1.0, gt=0, le=1, description="Occupancy cap (1 = none)")
    shrinkage: float = Field(default=0.0, ge=0, lt=1, description="Share of paid time off phones")
    patience_seconds: float | None = Field(
        default=None, gt=0, description="Mean caller patience: Erlang A with abandonment"
    )


class ExplicitInterval(_Body):
    """One interval's volume and handle time."""

    interval_start: AwareDatetime | None = Field(default=None, description="Optional label")
    calls: float = Field(ge=0, le=1_000_000, description="Calls offered in the interval")
    aht_seconds: float = Field(gt=0, le=86_400, description="Average handle time, seconds")


class ForecastReference(_Body):
    """A stored forecast: the queue, first interval and number of 15-minute intervals."""

    queue_id: str = Field(pattern=_ID_PATTERN, description="ACD queue")
    start: AwareDatetime | None = Field(
        default=None, description="First interval; default the newest forecast's origin"
    )
    horizon_intervals: int = Field(default=96, ge=1, le=MAX_HORIZON_INTERVALS)


class StaffingRequest(StaffingTargetsBody):
    """Either ``intervals`` (explicit volumes) or ``forecast`` (a stored forecast), not both."""

    interval_minutes: float = Field(
        default=30,
        ge=1,
        le=1440,
        description="Interval length of explicit intervals (a stored forecast's is 15)",
    )
    intervals: list[ExplicitInterval] | None = Field(
        default=None, min_length=1, max_length=MAX_EXPLICIT_INTERVALS
    )
    forecast: ForecastReference | None = Field(default=None)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.intervals is None) == (self.forecast is None):
            raise ValueError("give exactly one of 'intervals' and 'forecast'")
        return self


class StaffingRow(BaseModel):
    """Agents one interval needs and what they achieve."""

    interval_start: datetime | None = Field(description="The interval (null if not labelled)")
    calls: float = Field(description="Calls offered")
    aht_seconds: float = Field(description="Average handle time, seconds")
    offered_load_erlangs: float = Field(description="calls x AHT / interval length")
    agents: int = Field(description="Agents on the phones (smallest meeting the targets)")
    positions: int = Field(description="ceil(agents / (1 - shrinkage)): agents to schedule")
    service_level: float = Field(description="Share answered within the threshold")
    occupancy: float = Field(description="Agent time busy")
    probability_wait: float = Field(description="Probability a caller waits")
    asa_seconds: float = Field(description="Average speed of answer, seconds")
    abandon_probability: float | None = Field(description="Erlang A only: share abandoning")


class StaffingResponse(BaseModel):
    """Agents per interval (Erlang C, or Erlang A with a patience)."""

    tenant_id: str = Field(description="The tenant of the API key")
    model: Literal["erlang_c", "erlang_a"] = Field(description="Queueing model used")
    source: Literal["explicit", "forecast"] = Field(description="Where the volumes came from")
    queue_id: str | None = Field(description="Forecast only: the queue")
    forecast_origin: datetime | None = Field(description="Forecast only: the run's origin")
    interval_minutes: float = Field(description="Interval length")
    intervals: list[StaffingRow] = Field(description="In request (or interval) order")


class AccuracyQuery(BaseModel):
    """Optional filters. Unknown parameters (``tenant_id`` included) are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    queue_id: str | None = Field(default=None, pattern=_ID_PATTERN, description="Only this queue")
    series: SeriesName | None = Field(default=None, description="Only volume or aht")
    evaluation: Evaluation | None = Field(default=None, description="Only backtest or realised")


class AccuracyRow(BaseModel):
    """One model's accuracy on one series of one queue, in a backtest or realised."""

    queue_id: str = Field(description="ACD queue")
    series: SeriesName = Field(description="volume (calls offered) or aht")
    evaluation: Evaluation = Field(description="backtest (rolling origin) or realised")
    model: str = Field(description="Forecast model")
    period_start: datetime | None = Field(description="First interval scored")
    period_end: datetime | None = Field(description="End of the last interval scored")
    intervals: int | None = Field(description="Intervals scored")
    mase: float | None = Field(description="MAE / in-sample one-week seasonal-naive MAE")
    smape: float | None = Field(description="Symmetric MAPE, percent")
    mae: float | None = Field(description="Mean absolute error")
    coverage80: float | None = Field(description="Share of actuals inside the 80 % interval")
    coverage95: float | None = Field(description="Share of actuals inside the 95 % interval")
    agent_intervals_over: int | None = Field(description="Staffing error: agent-intervals over")
    agent_intervals_under: int | None = Field(description="Staffing error: agent-intervals under")
    computed_at: datetime = Field(description="When the scores were computed")


class AccuracyPage(BaseModel):
    """The caller's forecast accuracy rows, by queue, series, evaluation, then model."""

    tenant_id: str = Field(description="The tenant of the API key")
    rows: list[AccuracyRow] = Field(description="The rows")


def _utc(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def _frame(table: pa.Table) -> pd.DataFrame:
    frame = table.to_pandas()
    for column in ("interval_start", "forecast_origin", "forecast_made_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _floor(moment: datetime) -> pd.Timestamp:
    return pd.Timestamp(moment).tz_convert("UTC").floor(f"{INTERVAL_MINUTES}min")


def _queue_forecast(reader: MartReader, tenant_id: str, queue_id: str) -> pd.DataFrame:
    rows = _frame(
        reader.read_for_tenant(
            FORECAST_INTERVALS,
            tenant_id,
            equals={"queue_id": queue_id},
            order_by=["interval_start"],
        )
    )
    if rows.empty:
        raise HTTPException(404, f"no stored forecast for queue {queue_id}")
    return rows


def _interval_rows(frame: pd.DataFrame) -> list[ForecastIntervalRow]:
    names = list(ForecastIntervalRow.model_fields)
    return [
        ForecastIntervalRow(**{k: _utc(v) for k, v in zip(names, row, strict=True)})
        for row in frame[names].itertuples(index=False)
    ]


@router.post(
    "/forecast",
    operation_id="postWfmForecast",
    summary="Interval forecast of one queue (stored, or intraday re-forecast)",
    response_model=ForecastResponse,
    responses=_ERRORS_404,
)
def post_forecast(
    body: ForecastRequest, tenant_id: CurrentTenant, reader: MartReaderDep, now: NowDep
) -> ForecastResponse:
    """The stored forecast (mart ``forecast_intervals``) of one queue from ``start`` for
    ``horizon_intervals`` 15-minute intervals; with ``intraday`` the rest of ``as_of``'s UTC day,
    the stored forecast scaled by today's actuals so far (mart ``queue_interval_stats``)."""
    rows = _queue_forecast(reader, tenant_id, body.queue_id)
    if body.intraday:
        return _intraday(body, tenant_id, reader, rows, body.as_of or now)
    newest = rows[rows["forecast_origin"] == rows["forecast_origin"].max()]
    start = _floor(body.start) if body.start is not None else newest["forecast_origin"].iloc[0]
    chosen = rows[rows["interval_start"] >= start].head(body.horizon_intervals)
    if chosen.empty:
        raise HTTPException(404, f"no stored forecast for queue {body.queue_id} from {start}")
    first = chosen.iloc[0]
    return ForecastResponse(
        tenant_id=tenant_id,
        queue_id=body.queue_id,
        mode="stored",
        forecast_origin=_utc(first["forecast_origin"]),
        forecast_made_at=_utc(first["forecast_made_at"]),
        volume_model=str(first["volume_model"]),
        aht_model=str(first["aht_model"]),
        intraday=None,
        intervals=_interval_rows(chosen),
    )


def _intraday(
    body: ForecastRequest,
    tenant_id: str,
    reader: MartReader,
    rows: pd.DataFrame,
    as_of: datetime,
) -> ForecastResponse:
    moment = pd.Timestamp(as_of).tz_convert("UTC")
    day = moment.normalize()
    today = rows[
        (rows["interval_start"] >= day) & (rows["interval_start"] < day + pd.Timedelta(days=1))
    ]
    if today.empty:
        raise HTTPException(404, f"no stored forecast for queue {body.queue_id} on {day.date()}")
    actual_rows = _frame(
        reader.read_for_tenant(
            QUEUE_INTERVAL_STATS,
            tenant_id,
            columns=["interval_start", "offered"],
            date_range=DateRange("interval_date", day.date(), day.date()),
            equals={"queue_id": body.queue_id},
        )
    )
    actual = (
        actual_rows.set_index("interval_start")["offered"].astype(np.float64)
        if not actual_rows.empty
        else pd.Series(dtype=np.float64)
    )
    volume = today.set_index("interval_start")[
        ["volume_mean", "volume_lo80", "volume_hi80", "volume_lo95", "volume_hi95"]
    ]
    volume.columns = ["mean", "lo80", "hi80", "lo95", "hi95"]
    result = intraday_reforecast(
        volume, actual, moment, interval_minutes=INTERVAL_MINUTES, prior_calls=body.prior_calls
    )
    rest = today.set_index("interval_start").loc[result.intervals.index].copy()
    for column in ("mean", "lo80", "hi80", "lo95", "hi95"):
        rest[f"volume_{column}"] = result.intervals[column].to_numpy()
    rest = rest.reset_index()
    if body.start is not None:
        rest = rest[rest["interval_start"] >= _floor(body.start)]
    rest = rest.head(body.horizon_intervals)
    first = today.iloc[0]
    return ForecastResponse(
        tenant_id=tenant_id,
        queue_id=body.queue_id,
        mode="intraday",
        forecast_origin=_utc(first["forecast_origin"]),
        forecast_made_at=_utc(first["forecast_made_at"]),
        volume_model=str(first["volume_model"]),
        aht_model=str(first["aht_model"]),
        intraday=IntradayAdjustment(
            as_of=_utc(moment),
            complete_intervals=result.complete_intervals,
            actual_to_date=result.actual_to_date,
            forecast_to_date=result.forecast_to_date,
            prior_calls=body.prior_calls,
            factor=result.factor,
        ),
        intervals=_interval_rows(rest),
    )


@router.post(
    "/staffing",
    operation_id="postWfmStaffing",
    summary="Agents per interval for explicit volumes or a stored forecast",
    response_model=StaffingResponse,
    responses=_ERRORS_404,
)
def post_staffing(
    body: StaffingRequest, tenant_id: CurrentTenant, reader: MartReaderDep
) -> StaffingResponse:
    """Required agents, positions, service level, occupancy, Pw and ASA per interval by Erlang C
    (Erlang A with ``patience_seconds``), for ``intervals`` (calls and AHT each) or for a stored
    forecast's expected calls and AHT (``forecast``)."""
    targets = ServiceTargets(
        answer_within_s=body.answer_within_seconds,
        service_level=body.service_level,
        max_occupancy=body.max_occupancy,
        shrinkage=body.shrinkage,
        patience_s=body.patience_seconds,
    )
    origin: datetime | None = None
    queue_id: str | None = None
    if body.forecast is not None:
        reference = body.forecast
        rows = _queue_forecast(reader, tenant_id, reference.queue_id)
        newest = rows[rows["forecast_origin"] == rows["forecast_origin"].max()]
        start = (
            _floor(reference.start)
            if reference.start is not None
            else newest["forecast_origin"].iloc[0]
        )
        chosen = rows[rows["interval_start"] >= start].head(reference.horizon_intervals)
        if chosen.empty:
            raise HTTPException(404, f"no stored forecast for queue {reference.queue_id}")
        labels = [_utc(v) for v in chosen["interval_start"]]
        calls = chosen["volume_mean"].to_numpy(np.float64)
        aht = chosen["aht_mean_sec"].to_numpy(np.float64)
        minutes: float = INTERVAL_MINUTES
        origin, queue_id = _utc(chosen["forecast_origin"].iloc[0]), reference.queue_id
    else:
        assert body.intervals is not None
        labels = [i.interval_start for i in body.intervals]
        calls = np.array([i.calls for i in body.intervals], np.float64)
        aht = np.array([i.aht_seconds for i in body.intervals], np.float64)
        minutes = body.interval_minutes
    try:
        result = staff_intervals(calls, aht, minutes * 60.0, targets)
    except ValueError as exc:  # no staffing up to the agent limit meets the targets
        raise HTTPException(422, str(exc)) from None
    abandon = result.abandon_probability
    return StaffingResponse(
        tenant_id=tenant_id,
        model=result.model,
        source="forecast" if body.forecast is not None else "explicit",
        queue_id=queue_id,
        forecast_origin=origin,
        interval_minutes=minutes,
        intervals=[
            StaffingRow(
                interval_start=labels[i],
                calls=float(calls[i]),
                aht_seconds=float(aht[i]),
                offered_load_erlangs=float(result.load[i]),
                agents=int(result.agents[i]),
                positions=int(result.positions[i]),
                service_level=float(result.service_level[i]),
                occupancy=float(result.occupancy[i]),
                probability_wait=float(result.probability_wait[i]),
                asa_seconds=float(result.asa_s[i]),
                abandon_probability=None if abandon is None else float(abandon[i]),
            )
            for i in range(len(calls))
        ],
    )


@router.get(
    "/accuracy",
    operation_id="getWfmAccuracy",
    summary="Forecast accuracy: backtest and realised",
    response_model=AccuracyPage,
    responses=_ERRORS,
)
def get_accuracy(
    query: Annotated[AccuracyQuery, Query()], tenant_id: CurrentTenant, reader: MartReaderDep
) -> AccuracyPage:
    """MASE, sMAPE, MAE, 80/95 % interval coverage and the staffing error (agent-intervals
    over/under) per queue, series and model (mart ``forecast_accuracy``)."""
    equals = {
        name: value
        for name, value in (
            ("queue_id", query.queue_id),
            ("series", query.series),
            ("evaluation", query.evaluation),
        )
        if value is not None
    }
    names = list(AccuracyRow.model_fields)
    table = reader.read_for_tenant(
        FORECAST_ACCURACY,
        tenant_id,
        columns=names,
        equals=equals,
        order_by=["queue_id", "series", "evaluation", "model"],
    )
    rows = [AccuracyRow(**{k: _utc(v) for k, v in row.items()}) for row in table.to_pylist()]
    return AccuracyPage(tenant_id=tenant_id, rows=rows)
