"""``irisx anomalies detect``: anomalies and incidents of any single time series in a CSV."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from models_ml.anomaly import RegularSeries

#: Fewest observed (non-missing) points the detectors accept.
MIN_POINTS = 10
METHODS = ("ensemble", "robust_z", "iqr", "level_shift")
Method = Literal["ensemble", "robust_z", "iqr", "level_shift"]


class SeriesError(ValueError):
    """The CSV cannot be read as a time series (message for the user)."""


def parse_times(column: pd.Series) -> pd.Series:
    """UTC timestamps (tz-naive ``datetime64[ns]``) from text: ISO 8601 with or without an
    offset (offsets converted to UTC; no offset = UTC), dates only (midnight UTC), or Unix
    epoch numbers (seconds; milliseconds when above 1e11). Unreadable cells become NaT."""
    import pandas as pd

    text = column.astype("string").str.strip()
    numeric = pd.to_numeric(text, errors="coerce")
    if text.notna().any() and numeric[text.notna()].notna().all():
        unit = "ms" if numeric.abs().max() > 1e11 else "s"
        parsed = pd.to_datetime(numeric, unit=unit, utc=True, errors="coerce")
    else:
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="mixed")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def load_series(path: Path, time_column: str, value_column: str) -> tuple[RegularSeries, int]:
    """``(regular series, rows dropped for an unreadable timestamp)`` from a CSV file."""
    import pandas as pd

    from models_ml.anomaly import regularise

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SeriesError(f"{path}: not a readable CSV ({error})") from None
    missing = [c for c in (time_column, value_column) if c not in frame.columns]
    if missing:
        columns = ", ".join(frame.columns) or "none"
        raise SeriesError(f"{path}: no column {', '.join(missing)} (columns: {columns})")
    times = parse_times(frame[time_column])
    values = pd.to_numeric(frame[value_column].str.strip(), errors="coerce")
    dropped = int(times.isna().sum())
    observed = int((times.notna() & values.notna()).sum())
    if observed < MIN_POINTS:
        raise SeriesError(
            f"{path}: {observed} rows with both a timestamp and a numeric value; "
            f"at least {MIN_POINTS} are needed"
        )
    try:
        series = regularise(times.to_numpy(), values.to_numpy(dtype="float64"), value_column)
    except ValueError as error:
        raise SeriesError(f"{path}: {error}") from None
    if int(series.observed.sum()) < MIN_POINTS:
        raise SeriesError(
            f"{path}: only {int(series.observed.sum())} distinct timestamps with a value; "
            f"at least {MIN_POINTS} are needed"
        )
    return series, dropped


def _iso(timestamp: np.datetime64) -> str:
    import pandas as pd

    return pd.Timestamp(timestamp).tz_localize("UTC").isoformat()


def _number(value: float) -> float | None:
    import math

    return round(float(value), 6) if math.isfinite(value) else None


def detect(
    series: RegularSeries, method: Method, gap_tolerance: int, cooldown: int
) -> dict[str, Any]:
    """The JSON document for one series (see ``detect_command``)."""
    import numpy as np

    from models_ml.anomaly import (
        Ensemble,
        IncidentRules,
        IqrFences,
        LevelShift,
        RobustSeasonalZ,
        TailCalibrator,
        build_incidents,
        infer_periods,
        surprise,
    )

    periods = infer_periods(series)
    detectors = {
        "ensemble": Ensemble,
        "robust_z": RobustSeasonalZ,
        "iqr": IqrFences,
        "level_shift": LevelShift,
    }
    result = detectors[method](periods=periods).fit(series).score(series)
    if result.pvalues is not None:
        calibrated = result.scores
    else:  # a single detector: its own verdicts, severity from its calibrated scores
        calibrated = surprise(TailCalibrator().fit(result.scores).pvalue(result.scores))
    anomalies = []
    for i in result.anomaly_indices():
        anomalies.append(
            {
                "timestamp": _iso(result.timestamps[i]),
                "score": _number(result.scores[i]),
                "method": method,
                "detector": str(result.drivers[i]) if result.drivers is not None else method,
                "dimension": series.name,
                "value": _number(result.values[i]),
                "expected": _number(result.expected[i]),
                "lower": _number(result.lower[i]),
                "upper": _number(result.upper[i]),
                "deviation": _number(result.values[i] - result.expected[i]),
            }
        )
    incidents = build_incidents(
        result.timestamps, result.is_anomaly, calibrated, IncidentRules(gap_tolerance, cooldown)
    )
    return {
        "method": method,
        "series": {
            "points": len(series),
            "observed": int(np.isfinite(series.values).sum()),
            "start": _iso(series.timestamps[0]),
            "end": _iso(series.timestamps[-1]),
            "step_seconds": _number(series.step_seconds),
            "periods": list(result.periods),
            "duplicates_merged": series.duplicates_merged,
        },
        "anomalies": anomalies,
        "incidents": [
            {
                "start": _iso(incident.start),
                "end": _iso(incident.end),
                "peak": _iso(incident.peak),
                "score": _number(incident.score),
                "severity": incident.severity,
                "points": incident.points,
                "alert": incident.alert,
            }
            for incident in incidents
        ],
    }


def register(app: typer.Typer) -> None:
    anomalies_app = typer.Typer(help="Anomaly detection on time series.", no_args_is_help=True)

    @anomalies_app.command("detect")
    def detect_command(
        csv: Annotated[
            Path,
            typer.Option(help="CSV file with a header row", exists=True, dir_okay=False),
        ],
        time_column: Annotated[str, typer.Option(help="Column holding the timestamps")],
        value_column: Annotated[str, typer.Option(help="Column holding the values")],
        method: Annotated[
            str, typer.Option(help="ensemble | robust_z | iqr | level_shift")
        ] = "ensemble",
        gap_tolerance: Annotated[
            int, typer.Option(min=0, help="Normal points allowed inside one incident")
        ] = 2,
        cooldown: Annotated[
            int, typer.Option(min=0, help="Grid steps after an incident without a new alert")
        ] = 6,
    ) -> None:
        """Detect anomalies in one series and print JSON: {"anomalies": [{"timestamp",
        "score", "method", ...}], "incidents": [{"start", "end", ...}], "series": {...}}.

        Rows may be unsorted; duplicate timestamps are averaged; the series is put on a grid at
        its median spacing (gaps and empty or non-numeric values are missing points, never
        anomalies); timestamps may carry offsets (converted to UTC), be naive (taken as UTC),
        dates only, or Unix epochs. Seasonality is inferred. Rules: docs/anomalies.md.
        """
        if method not in METHODS:
            raise typer.BadParameter(f"{method!r} is not one of {', '.join(METHODS)}")
        try:
            series, dropped = load_series(csv, time_column, value_column)
        except SeriesError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None
        document = detect(series, method, gap_tolerance, cooldown)  # type: ignore[arg-type]
        document["series"]["rows_without_timestamp"] = dropped
        typer.echo(json.dumps(document, allow_nan=False))

    app.add_typer(anomalies_app, name="anomalies")
