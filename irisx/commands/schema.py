"""``irisx schema export DIR``: JSON Schema of every event contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    schema_app = typer.Typer(help="Event contract schemas.", no_args_is_help=True)

    @schema_app.command("export")
    def export(
        out_dir: Annotated[Path, typer.Argument(help="Folder to write <family>.schema.json")],
    ) -> None:
        """Write the JSON Schema of each event family."""
        from ingest.contracts import export_json_schemas

        for path in export_json_schemas(out_dir):
            typer.echo(str(path))

    app.add_typer(schema_app, name="schema")
