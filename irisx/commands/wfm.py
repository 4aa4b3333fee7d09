"""``irisx wfm staffing``: agents and positions one interval needs (Erlang C)."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    wfm_app = typer.Typer(help="Workforce management (staffing).", no_args_is_help=True)

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
    ) -> None:
        """Print JSON: agents, positions, service level, occupancy, Pw and ASA (Erlang C)."""
        from models_ml.wfm import required_agents

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

    app.add_typer(wfm_app, name="wfm")
