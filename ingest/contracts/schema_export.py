"""Export the JSON Schema of each contract (for producers in other languages)."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.contracts.registry import FAMILIES


def export_json_schemas(out_dir: Path) -> list[Path]:
    """Write ``<family>.schema.json`` for every family; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for family, model in sorted(FAMILIES.items()):
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://irisx.dev/schemas/{family}/v1.json"
        path = out_dir / f"{family}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
