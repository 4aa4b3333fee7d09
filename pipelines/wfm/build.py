"""The WFM marts as tables, from ``queue_interval_stats`` rows (no Dagster here: the assets call
these with what they read and publish what they return; tests call them directly too).

Marts (all tenants; docs/wfm.md describes every column):

- ``forecast_models``: per tenant, queue and series (volume, aht), every candidate's backtest
  scores and which model is selected (the weekly retrain);
- ``forecast_intervals``: per tenant, queue and 15-minute interval, the forecast volume and AHT
  with 80/95 % intervals and the models used; a run replaces the intervals it forecasts and keeps
  older ones (``retention_days``) so they can be scored against what happened;
- ``staffing_requirements``: per forecast interval, the agents the tenant's targets need;
- ``forecast_accuracy``: backtest scores (from the retrain) and realised scores of stored
  forecasts, with the staffing error they caused;
- the plan (``wfm_plan_intervals``) that ``service_level_variance`` reads.
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.wfm_plan import SCHEMA as PLAN_SCHEMA
from models_ml.forecast import StaffingTargets
from models_ml.forecast.base import FORECAST_COLUMNS
from models_ml.wfm.interval_staffing import staff_intervals
from models_ml.wfm.planning import (
    FALLBACK_MODEL,
    INTERVAL_MINUTES,
    PER_DAY,
    SeriesKind,
    choose_model,
    forecast_series,
    history_origin,
    queue_series,
    realised_accuracy,
)
from pipelines.wfm.config import WfmConfig

_log = logging.getLogger(__name__)

INTERVAL_S = INTERVAL_MINUTES * 60
_TS = pa.timestamp("us", tz="UTC")

FORECAST_MODELS_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("queue_id", pa.string()),
        ("series", pa.string()),
        ("model", pa.string()),
        ("is_selected", pa.bool_()),
        ("selected_by", pa.string()),
        ("backtest_folds", pa.int64()),
        ("backtest_from", _TS),
        ("backtest_to", _TS),
        ("mase", pa.float64()),
        ("smape", pa.float64()),
        ("mae", pa.float64()),
        ("relative_mae", pa.float64()),
        ("coverage80", pa.float64()),
        ("coverage95", pa.float64()),
        ("agent_intervals_over", pa.int64()),
        ("agent_intervals_under", pa.int64()),
        ("history_start", _TS),
        ("history_end", _TS),
        ("trained_at", _TS),
    ]
)
FORECAST_INTERVALS_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("queue_id", pa.string()),
        ("interval_start", _TS),
        ("interval_date", pa.date32()),
        ("forecast_origin", _TS),
        ("volume_model", pa.string()),
        ("volume_mean", pa.float64()),
        ("volume_lo80", pa.float64()),
        ("volume_hi80", pa.float64()),
        ("volume_lo95", pa.float64()),
        ("volume_hi95", pa.float64()),
        ("aht_model", pa.string()),
        ("aht_mean_sec", pa.float64()),
        ("aht_lo80_sec", pa.float64()),
        ("aht_hi80_sec", pa.float64()),
        ("aht_lo95_sec", pa.float64()),
        ("aht_hi95_sec", pa.float64()),
        ("forecast_made_at", _TS),
    ]
)
STAFFING_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("queue_id", pa.string()),
        ("interval_start", _TS),
        ("interval_date", pa.date32()),
        ("forecast_origin", _TS),
        ("staffing_model", pa.string()),
        ("forecast_calls", pa.float64()),
        ("forecast_aht_sec", pa.float64()),
        ("answer_within_sec", pa.float64()),
        ("target_service_level", pa.float64()),
        ("max_occupancy", pa.float64()),
        ("shrinkage", pa.float64()),
        ("patience_sec", pa.float64()),
        ("offered_load_erlangs", pa.float64()),
        ("agents", pa.int64()),
        ("positions", pa.int64()),
        ("service_level", pa.float64()),
        ("occupancy", pa.float64()),
        ("probability_wait", pa.float64()),
        ("asa_sec", pa.float64()),
        ("abandon_probability", pa.float64()),
    ]
)
ACCURACY_SCHEMA = pa.schema(
    [
        ("tenant_id", pa.string()),
        ("queue_id", pa.string()),
        ("series", pa.string()),
        ("evaluation", pa.string()),
        ("model", pa.string()),
        ("period_start", _TS),
        ("period_end", _TS),
        ("intervals", pa.int64()),
        ("mase", pa.float64()),
        ("smape", pa.float64()),
        ("mae", pa.float64()),
        ("coverage80", pa.float64()),
        ("coverage95", pa.float64()),
        ("agent_intervals_over", pa.int64()),
        ("agent_intervals_under", pa.int64()),
        ("computed_at", _TS),
    ]
)


def _table(rows: list[dict[str, object]], schema: pa.Schema) -> pa.Table:
    if not rows:
        return schema.empty_table()
    return pa.Table.from_pylist(rows, schema=schema)


def _none(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def interval_stats_frame(table: pa.Table) -> pd.DataFrame:
    """``queue_interval_stats`` rows as pandas with ``interval_start`` tz-aware UTC."""
    frame = table.select(
        ["tenant_id", "queue_id", "interval_start", "offered", "handled", "aht_sec"]
    )
    df = frame.to_pandas()
    stamps = pd.to_datetime(df["interval_start"])
    df["interval_start"] = (
        stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps.dt.tz_convert("UTC")
    )
    return df


def tenant_origins(stats: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Per tenant, where forecasts start: the midnight after its last complete day."""
    last = stats.groupby("tenant_id")["interval_start"].max()
    return {str(tenant): history_origin(stamp) for tenant, stamp in last.items()}


def _queues(stats: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    return [
        (str(tenant), str(queue), rows)
        for (tenant, queue), rows in stats.groupby(["tenant_id", "queue_id"], sort=True)
    ]


def build_forecast_models(stats: pd.DataFrame, config: WfmConfig, now: datetime) -> pa.Table:
    """The weekly retrain: per tenant, queue and series, backtest the candidates and select."""
    origins = tenant_origins(stats)
    rows: list[dict[str, object]] = []
    for tenant, queue, queue_rows in _queues(stats):
        origin = origins[tenant]
        history = queue_rows[queue_rows["interval_start"] < origin]
        if history.empty:
            continue
        start = history["interval_start"].min().floor("D")
        series = queue_series(history, start, origin)
        targets = config.targets_for(tenant)
        staffing = StaffingTargets(
            aht_s=series.mean_aht_s or config.default_aht_s,
            answer_within_s=targets.answer_within_s,
            service_level=targets.service_level,
            max_occupancy=targets.max_occupancy,
        )
        candidates: list[tuple[SeriesKind, pd.Series | None, tuple[str, ...]]] = [
            ("volume", series.volume, config.volume_models),
            ("aht", series.aht, config.aht_models),
        ]
        for kind, values, names in candidates:
            if values is None:
                continue
            choice = choose_model(
                values,
                kind,
                names,
                folds=config.backtest_folds,
                staffing=staffing if kind == "volume" else None,
            )
            common = {
                "tenant_id": tenant,
                "queue_id": queue,
                "series": kind,
                "selected_by": choice.selected_by,
                "backtest_folds": len(choice.origins) or None,
                "backtest_from": choice.origins[0] if choice.origins else None,
                "backtest_to": (
                    choice.origins[-1] + pd.Timedelta(days=1) if choice.origins else None
                ),
                "history_start": start,
                "history_end": origin,
                "trained_at": now,
            }
            if not choice.scores:
                rows.append({**common, "model": choice.model, "is_selected": True})
            for score in choice.scores:
                rows.append(
                    {
                        **common,
                        "model": score.model,
                        "is_selected": score.model == choice.model,
                        "mase": _none(score.mase),
                        "smape": _none(score.smape),
                        "mae": _none(score.mae),
                        "relative_mae": _none(score.relative_mae),
                        "coverage80": _none(score.coverage80),
                        "coverage95": _none(score.coverage95),
                        "agent_intervals_over": score.agent_intervals_over,
                        "agent_intervals_under": score.agent_intervals_under,
                    }
                )
    return _table(rows, FORECAST_MODELS_SCHEMA)


def _selected(models: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    if models.empty:
        return {}
    chosen = models[models["is_selected"]]
    return {
        (str(r.tenant_id), str(r.queue_id), str(r.series)): str(r.model)
        for r in chosen.itertuples(index=False)
    }


def build_forecast_intervals(
    stats: pd.DataFrame,
    models: pd.DataFrame,
    previous: pd.DataFrame | None,
    config: WfmConfig,
    now: datetime,
) -> pa.Table:
    """The daily forecast: each queue's selected models (the fallback for a queue the retrain
    has not seen yet) refitted on all complete days, for ``horizon_days`` from the origin."""
    origins = tenant_origins(stats)
    selected = _selected(models)
    horizon = config.horizon_days * PER_DAY
    frames: list[pd.DataFrame] = []
    for tenant, queue, queue_rows in _queues(stats):
        origin = origins[tenant]
        history = queue_rows[queue_rows["interval_start"] < origin]
        if history.empty:
            continue
        series = queue_series(history, history["interval_start"].min().floor("D"), origin)
        volume_model = selected.get((tenant, queue, "volume"), FALLBACK_MODEL["volume"])
        try:
            volume = forecast_series(series.volume, "volume", volume_model, horizon)
        except ValueError as exc:  # e.g. under two days of history
            _log.warning("no forecast for %s/%s: %s", tenant, queue, exc)
            continue
        frame = pd.DataFrame({"interval_start": volume.index})
        for column in FORECAST_COLUMNS:
            frame[f"volume_{column}"] = volume[column].to_numpy()
        frame["volume_model"] = volume_model
        aht_columns = {c: f"aht_{c}_sec" for c in FORECAST_COLUMNS}
        fallback_aht = series.mean_aht_s or config.default_aht_s
        if series.aht is not None:
            aht_model = selected.get((tenant, queue, "aht"), FALLBACK_MODEL["aht"])
            aht = forecast_series(series.aht, "aht", aht_model, horizon)
            for column, name in aht_columns.items():
                values = aht[column].to_numpy(np.float64)
                frame[name] = np.where(np.isfinite(values) & (values > 0), values, fallback_aht)
        else:
            aht_model = "default_aht"
            for name in aht_columns.values():
                frame[name] = fallback_aht
        frame["aht_model"] = aht_model
        frame["tenant_id"], frame["queue_id"] = tenant, queue
        frame["forecast_origin"], frame["forecast_made_at"] = origin, pd.Timestamp(now)
        frames.append(frame)
    fresh = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not fresh.empty:
        fresh["interval_date"] = fresh["interval_start"].dt.date
    merged = _merge_previous(fresh, previous, config, origins)
    if merged.empty:
        return FORECAST_INTERVALS_SCHEMA.empty_table()
    merged = merged.sort_values(["tenant_id", "queue_id", "interval_start"], ignore_index=True)
    return pa.Table.from_pandas(
        merged[FORECAST_INTERVALS_SCHEMA.names],
        schema=FORECAST_INTERVALS_SCHEMA,
        preserve_index=False,
    )


def _merge_previous(
    fresh: pd.DataFrame,
    previous: pd.DataFrame | None,
    config: WfmConfig,
    origins: dict[str, pd.Timestamp],
) -> pd.DataFrame:
    """Earlier runs' intervals not forecast again now, within ``retention_days`` of the newest
    origin of their tenant: what realised accuracy is scored on."""
    if previous is None or previous.empty:
        return fresh
    old = previous.copy()
    for column in ("interval_start", "forecast_origin", "forecast_made_at"):
        old[column] = pd.to_datetime(old[column], utc=True)
    keys = ["tenant_id", "queue_id", "interval_start"]
    if not fresh.empty:
        replaced = old.merge(fresh[keys], on=keys, how="left", indicator=True)["_merge"] == "both"
        old = old[~replaced.to_numpy()]
    cutoff = old["tenant_id"].map(
        lambda t: (
            origins.get(str(t), pd.Timestamp.max.tz_localize("UTC"))
            - pd.Timedelta(days=config.retention_days)
        )
    )
    old = old[old["interval_start"] >= cutoff]
    return pd.concat([frame for frame in (old, fresh) if not frame.empty], ignore_index=True)


def build_staffing_requirements(forecasts: pd.DataFrame, config: WfmConfig) -> pa.Table:
    """Agents per forecast interval with its tenant's targets (Erlang C, or A with patience)."""
    if forecasts.empty:
        return STAFFING_SCHEMA.empty_table()
    parts: list[pd.DataFrame] = []
    for tenant, rows in forecasts.groupby("tenant_id", sort=True):
        targets = config.targets_for(str(tenant))
        result = staff_intervals(
            rows["volume_mean"].to_numpy(np.float64),
            rows["aht_mean_sec"].to_numpy(np.float64),
            INTERVAL_S,
            targets,
        )
        part = rows[["tenant_id", "queue_id", "interval_start", "interval_date", "forecast_origin"]]
        part = part.assign(
            staffing_model=result.model,
            forecast_calls=rows["volume_mean"].to_numpy(),
            forecast_aht_sec=rows["aht_mean_sec"].to_numpy(),
            answer_within_sec=targets.answer_within_s,
            target_service_level=targets.service_level,
            max_occupancy=targets.max_occupancy,
            shrinkage=targets.shrinkage,
            patience_sec=targets.patience_s,
            offered_load_erlangs=result.load,
            agents=result.agents,
            positions=result.positions,
            service_level=result.service_level,
            occupancy=result.occupancy,
            probability_wait=result.probability_wait,
            asa_sec=result.asa_s,
            abandon_probability=(
                result.abandon_probability if result.abandon_probability is not None else None
            ),
        )
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame["patience_sec"] = frame["patience_sec"].astype("float64")
    frame["abandon_probability"] = frame["abandon_probability"].astype("float64")
    return pa.Table.from_pandas(
        frame[STAFFING_SCHEMA.names], schema=STAFFING_SCHEMA, preserve_index=False
    )


def build_forecast_accuracy(
    stats: pd.DataFrame,
    models: pd.DataFrame,
    forecasts: pd.DataFrame,
    staffing: pd.DataFrame,
    config: WfmConfig,
    now: datetime,
) -> pa.Table:
    """Backtest rows (every candidate of the last retrain) and realised rows: stored forecast
    intervals that now have actuals (before the tenant's origin), per tenant, queue and series."""
    rows: list[dict[str, object]] = []
    for r in models.itertuples(index=False) if not models.empty else []:
        if pd.isna(r.mase) and pd.isna(r.smape):
            continue  # selected without a backtest (short history): nothing was scored
        rows.append(
            {
                "tenant_id": r.tenant_id,
                "queue_id": r.queue_id,
                "series": r.series,
                "evaluation": "backtest",
                "model": r.model,
                "period_start": r.backtest_from,
                "period_end": r.backtest_to,
                "intervals": int(r.backtest_folds) * PER_DAY
                if pd.notna(r.backtest_folds)
                else None,
                "mase": _none(r.mase),
                "smape": _none(r.smape),
                "mae": _none(r.mae),
                "coverage80": _none(r.coverage80),
                "coverage95": _none(r.coverage95),
                "agent_intervals_over": None
                if pd.isna(r.agent_intervals_over)
                else int(r.agent_intervals_over),
                "agent_intervals_under": None
                if pd.isna(r.agent_intervals_under)
                else int(r.agent_intervals_under),
                "computed_at": now,
            }
        )
    if not forecasts.empty and not stats.empty:
        rows.extend(_realised_rows(stats, forecasts, staffing, config, now))
    return _table(rows, ACCURACY_SCHEMA)


def _realised_rows(
    stats: pd.DataFrame,
    forecasts: pd.DataFrame,
    staffing: pd.DataFrame,
    config: WfmConfig,
    now: datetime,
) -> list[dict[str, object]]:
    origins = tenant_origins(stats)
    forecasts = forecasts.copy()
    forecasts["interval_start"] = pd.to_datetime(forecasts["interval_start"], utc=True)
    staffing = staffing.copy()
    if not staffing.empty:
        staffing["interval_start"] = pd.to_datetime(staffing["interval_start"], utc=True)
    rows: list[dict[str, object]] = []
    for tenant, queue, queue_rows in _queues(stats):
        origin = origins[tenant]
        past = forecasts[
            (forecasts["tenant_id"] == tenant)
            & (forecasts["queue_id"] == queue)
            & (forecasts["interval_start"] < origin)
        ].set_index("interval_start")
        if past.empty:
            continue
        first = past.index.min()
        series = queue_series(queue_rows, queue_rows["interval_start"].min().floor("D"), origin)
        history = series.volume[series.volume.index < first]
        period = {
            "tenant_id": tenant,
            "queue_id": queue,
            "evaluation": "realised",
            "period_start": first,
            "period_end": past.index.max() + pd.Timedelta(minutes=INTERVAL_MINUTES),
            "computed_at": now,
        }
        volume = past[[f"volume_{c}" for c in FORECAST_COLUMNS]]
        volume.columns = list(FORECAST_COLUMNS)
        scored = realised_accuracy(volume, series.volume, history if len(history) else None)
        if scored is not None:
            over, under = _realised_staffing_error(
                tenant, queue, past, queue_rows, staffing, config
            )
            rows.append(
                {
                    **period,
                    "series": "volume",
                    "model": "+".join(sorted(past["volume_model"].unique())),
                    "intervals": scored.intervals,
                    "mase": _none(scored.mase),
                    "smape": scored.smape,
                    "mae": scored.mae,
                    "coverage80": scored.coverage80,
                    "coverage95": scored.coverage95,
                    "agent_intervals_over": over,
                    "agent_intervals_under": under,
                }
            )
        handled = queue_rows.set_index("interval_start")
        actual_aht = handled["aht_sec"].where(handled["handled"] > 0).astype("float64")
        aht = past[[f"aht_{c}_sec" for c in FORECAST_COLUMNS]]
        aht.columns = list(FORECAST_COLUMNS)
        scored_aht = realised_accuracy(aht, actual_aht.dropna())
        if scored_aht is not None:
            rows.append(
                {
                    **period,
                    "series": "aht",
                    "model": "+".join(sorted(past["aht_model"].unique())),
                    "intervals": scored_aht.intervals,
                    "mase": None,
                    "smape": scored_aht.smape,
                    "mae": scored_aht.mae,
                    "coverage80": scored_aht.coverage80,
                    "coverage95": scored_aht.coverage95,
                }
            )
    return rows


def _realised_staffing_error(
    tenant: str,
    queue: str,
    past: pd.DataFrame,
    queue_rows: pd.DataFrame,
    staffing: pd.DataFrame,
    config: WfmConfig,
) -> tuple[int | None, int | None]:
    """Agent-intervals the stored staffing had over / under what the actual calls and AHT
    needed (same targets; the forecast AHT where no call was handled)."""
    if staffing.empty:
        return None, None
    planned = staffing[(staffing["tenant_id"] == tenant) & (staffing["queue_id"] == queue)]
    planned = planned.set_index("interval_start")["agents"].reindex(past.index)
    if planned.isna().any():
        return None, None
    actual = queue_rows.set_index("interval_start").reindex(past.index)
    calls = actual["offered"].fillna(0.0).to_numpy(np.float64)
    aht = actual["aht_sec"].where(actual["handled"] > 0)
    aht = aht.fillna(past["aht_mean_sec"]).to_numpy(np.float64)
    needed = staff_intervals(calls, aht, INTERVAL_S, config.targets_for(tenant)).agents
    gap = planned.to_numpy(np.int64) - needed
    return int(np.maximum(gap, 0).sum()), int(np.maximum(-gap, 0).sum())


def build_plan_intervals(
    forecasts: pd.DataFrame, staffing: pd.DataFrame, now: datetime
) -> dict[str, tuple[str, pa.Table]]:
    """Per tenant, its newest forecast run as a plan (``ingest.wfm_plan.SCHEMA``): planned calls
    and AHT from the forecast, planned agents and SL from the staffing. Returns tenant →
    (import id, table); the import id names the origin, so a re-run of the same day replaces it."""
    if forecasts.empty:
        return {}
    keys = ["tenant_id", "queue_id", "interval_start"]
    joined = forecasts.merge(
        staffing[[*keys, "agents", "service_level"]], on=keys, how="inner", validate="one_to_one"
    )
    joined["forecast_origin"] = pd.to_datetime(joined["forecast_origin"], utc=True)
    plans: dict[str, tuple[str, pa.Table]] = {}
    for tenant, rows in joined.groupby("tenant_id", sort=True):
        newest = rows[rows["forecast_origin"] == rows["forecast_origin"].max()]
        origin = newest["forecast_origin"].iloc[0]
        import_id = f"wfm-forecast-{tenant}-{origin:%Y%m%d}"
        table = pa.Table.from_pydict(
            {
                "tenant_id": [str(tenant)] * len(newest),
                "queue_id": newest["queue_id"].astype(str).tolist(),
                "interval_start": pd.to_datetime(newest["interval_start"], utc=True).tolist(),
                "planned_calls": newest["volume_mean"].astype("float64").tolist(),
                "planned_aht_sec": newest["aht_mean_sec"].astype("float64").tolist(),
                "planned_agents": newest["agents"].astype("float64").tolist(),
                "planned_service_level": newest["service_level"].astype("float64").tolist(),
                "import_id": [import_id] * len(newest),
                "imported_at": [pd.Timestamp(now)] * len(newest),
            },
            schema=PLAN_SCHEMA,
        )
        plans[str(tenant)] = (import_id, table)
    return plans
