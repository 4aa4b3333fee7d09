"""``irisx``: one CLI for everything.

Each area registers its commands from ``irisx/commands/<area>.py``; heavy imports stay inside
the command functions so that ``irisx --help`` is fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="irisx",
    help="IRISX Analytics: simulate, ingest, transform, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Command modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "demo",
    "simulate",
    "ingest",
    "import_data",
    "schema",
    "dbt",
    "materialize",
    "apikey",
    "serve",
    "worker",
    "webhook_secret",
    "rate",
    "anomalies",
    "anomaly_suggestions",  # joins the anomalies group: after "anomalies"
    "export",
    "quality",
    "wfm",
    "wfm_planning",  # joins the wfm group: after "wfm"
)

for _name in COMMAND_MODULES:
    importlib.import_module(f"irisx.commands.{_name}").register(app)


def main() -> None:
    app()
