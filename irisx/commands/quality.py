"""``irisx quality mos``: R factor and MOS of one call's conditions (ITU-T G.107 E-model)."""

from __future__ import annotations

import json
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    quality_app = typer.Typer(help="Voice quality (E-model).", no_args_is_help=True)

    @quality_app.command("mos")
    def mos_command(
        codec: Annotated[str, typer.Option(help="G.711, G.729 or G.723.1 (or PCMU, PCMA, ...)")],
        loss_pct: Annotated[float, typer.Option(min=0, max=100, help="Packet loss, %")] = 0.0,
        burst_ratio: Annotated[
            float, typer.Option(min=1, help="Burst ratio (1 = random loss)")
        ] = 1.0,
        one_way_delay_ms: Annotated[
            float, typer.Option(min=0, help="Absolute one-way delay Ta in ms, taken as is")
        ] = 0.0,
        plc: Annotated[bool, typer.Option(help="G.711 with packet-loss concealment")] = False,
    ) -> None:
        """Print JSON: r_factor, mos and each impairment term (Ro, Idd, Ie,eff)."""
        from models_ml.quality import codec_impairment, emodel

        try:
            values = codec_impairment(codec)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--codec") from None
        terms = emodel(
            codec, loss_pct, one_way_delay_ms, burst_ratio=burst_ratio, plc=plc
        ).as_dict()
        bpl = values.bpl_with_plc if plc and values.bpl_with_plc is not None else values.bpl
        result = {
            "codec": values.name,
            "plc": plc,
            "loss_pct": loss_pct,
            "burst_ratio": burst_ratio,
            "one_way_delay_ms": one_way_delay_ms,
            "ie": values.ie,
            "bpl": bpl,
            **terms,
        }
        typer.echo(json.dumps(result))

    app.add_typer(quality_app, name="quality")
