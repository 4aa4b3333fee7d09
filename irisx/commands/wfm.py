"""``irisx wfm staffing``: agents and positions one interval needs (Erlang C, or Erlang A with
patience); ``irisx wfm backtest``: forecast accuracy and the staffing error it causes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    wfm_app = typer.Typer(
        help="Workforce management (staffing, forecast backtests).", no_args_is_help=True
    )

    @wfm_app.command("staffing")
    def staffing_command(
        calls: Annotated[float, typer.Option(min=0, help="Calls offered in the interval")],
        aht_seconds: Annotated[float, typer.Option(min=0, help="Average handle time, s")],
        interval_minutes: Annotated[float, typer.Option(min=1, help="Interval length")] = 30,
        answer_within_seconds: Annotated[
            float, typer.Option(min=0, help="Service-level threshold, s")
        ] = 20,
        service_level: Annotated[
            float, typer.Option(min=0, max=0.9999, help="Target share answered in time")
        ] = 0.8,
        max_occupancy: Annotated[
            float, typer.Option(min=0.01, max=1, help="Occupancy cap (1 = none)")
        ] = 1.0,
        shrinkage: Annotated[
            float, typer.Option(min=0, max=0.99, help="Share of paid time off the phones")
        ] = 0.0,
        patience_seconds: Annotated[
            float | None,
            typer.Option(min=0.001, help="Mean caller patience, s: Erlang A with abandonment"),
        ] = None,
    ) -> None:
        """Print JSON: agents, positions, service level, occupancy, Pw and ASA (Erlang C, or
        Erlang A with abandon_probability when --patience-seconds is given)."""
        from models_ml.wfm import required_agents, required_agents_erlang_a

        if patience_seconds is not None:
            staffing_a = required_agents_erlang_a(
                calls,
                aht_seconds,
                interval_minutes * 60,
                answer_within_seconds,
                service_level,
                patience_seconds,
                max_occupancy,
                shrinkage,
            )
            typer.echo(
                json.dumps(
                    {
                        "model": "erlang_a",
                        "offered_load_erlangs": round(float(staffing_a.load[0]), 4),
                        "patience_seconds": patience_seconds,
                        "agents": int(staffing_a.agents[0]),
                        "positions": int(staffing_a.positions[0]),
                        "service_level": round(float(staffing_a.service_level[0]), 4),
                        "occupancy": round(float(staffing_a.occupancy[0]), 4),
                        "probability_wait": round(float(staffing_a.probability_wait[0]), 4),
                        "abandon_probability": round(float(staffing_a.abandon_probability[0]), 4),
                        "asa_seconds": round(float(staffing_a.asa_s[0]), 2),
                    }
                )
            )
            return
        result = required_agents(
            calls,
            aht_seconds,
            interval_minutes * 60,
            answer_within_seconds,
            service_level,
            max_occupancy,
            shrinkage,
        )
        typer.echo(
            json.dumps(
                {
                    "model": "erlang_c",
                    "offered_load_erlangs": round(float(result.load[0]), 4),
                    "agents": int(result.agents[0]),
                    "positions": int(result.positions[0]),
                    "service_level": round(float(result.service_level[0]), 4),
                    "occupancy": round(float(result.occupancy[0]), 4),
                    "probability_wait": round(float(result.probability_wait[0]), 4),
                    "asa_seconds": round(float(result.asa_s[0]), 2),
                }
            )
        )

    @wfm_app.command("backtest")
    def backtest_command(
        csv: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="CSV file to read")],
        time_column: Annotated[str, typer.Option(help="Timestamp column")],
        value_column: Annotated[
            str | None,
            typer.Option(help="Value per interval (pre-aggregated); omit to count rows (calls)"),
        ] = None,
        interval_minutes: Annotated[int, typer.Option(min=1, help="Interval length")] = 30,
        timezone: Annotated[
            str | None, typer.Option(help="Convert tz-aware stamps to this local time zone")
        ] = None,
        folds: Annotated[int, typer.Option(min=1, help="One-day rolling origins")] = 7,
        models: Annotated[
            str, typer.Option(help=f"Comma-separated, from: {', '.join(MODEL_NAMES)}")
        ] = "seasonal_naive,weekly_average,intraday_profile,ets",
        aht_seconds: Annotated[
            float | None, typer.Option(min=1, help="AHT for the staffing error (Erlang C)")
        ] = None,
        answer_within_seconds: Annotated[float, typer.Option(min=0)] = 20,
        service_level: Annotated[float, typer.Option(min=0, max=0.9999)] = 0.8,
    ) -> None:
        """Print JSON: rolling-origin backtest (one-day horizon) of the chosen models: MASE,
        sMAPE, interval coverage and, with --aht-seconds, the staffing error in agent-intervals."""
        import pandas as pd

        from models_ml.forecast import StaffingTargets, interval_series, rolling_origin_backtest

        chosen = [name.strip() for name in models.split(",") if name.strip()]
        unknown = sorted(set(chosen) - set(MODEL_NAMES))
        if unknown:
            raise typer.BadParameter(f"unknown models {unknown}", param_hint="--models")
        frame = pd.read_csv(csv)
        for column in (time_column, value_column):
            if column is not None and column not in frame.columns:
                raise typer.BadParameter(f"no column {column!r} in {csv}")
        stamps = pd.to_datetime(frame[time_column], utc=timezone is not None)
        values = None if value_column is None else frame[value_column]
        series = interval_series(stamps, interval_minutes, values=values, timezone=timezone)
        if value_column is not None:
            series = series.fillna(0.0)
        staffing = None
        if aht_seconds is not None:
            staffing = StaffingTargets(aht_seconds, answer_within_seconds, service_level)
        report = rolling_origin_backtest(
            series, {name: _factory(name) for name in chosen}, folds=folds, staffing=staffing
        )
        body = report.as_dict()
        body["models"] = [m for m in body["models"] if m["model"] in chosen]  # type: ignore[index,union-attr]
        typer.echo(json.dumps(body))

    app.add_typer(wfm_app, name="wfm")


MODEL_NAMES = (
    "seasonal_naive",
    "weekly_average",
    "intraday_profile",
    "ets",
    "mstl_ar",
    "mstl_arima",
    "lstm",
)


def _factory(name: str):  # type: ignore[no-untyped-def]
    """A fresh forecaster per fold (imports kept out of the CLI's start-up)."""
    from models_ml import forecast

    classes = {
        "seasonal_naive": forecast.SeasonalNaive,
        "weekly_average": forecast.WeeklyAverage,
        "intraday_profile": forecast.IntradayProfile,
        "ets": forecast.EtsForecaster,
        "mstl_ar": forecast.MstlArForecaster,
        "mstl_arima": forecast.MstlArimaForecaster,
        "lstm": forecast.LstmForecaster,
    }
    return classes[name]
