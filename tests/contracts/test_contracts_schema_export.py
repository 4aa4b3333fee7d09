"""``irisx schema export DIR``: seven valid JSON Schemas that accept valid events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
from test_contracts_validation import VALID
from typer.testing import CliRunner

from irisx.commands import schema as schema_commands


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    app = typer.Typer()
    schema_commands.register(app)
    out_dir = tmp_path_factory.mktemp("schemas")
    result = CliRunner().invoke(app, ["schema", "export", str(out_dir)])
    assert result.exit_code == 0, result.output
    written = sorted(Path(line).name for line in result.output.split())
    assert written == sorted(p.name for p in out_dir.iterdir())
    return {
        p.name.removesuffix(".schema.json"): json.loads(p.read_text()) for p in out_dir.iterdir()
    }


def test_seven_schemas_are_written(exported: dict[str, dict[str, Any]]) -> None:
    assert sorted(exported) == sorted(VALID)


@pytest.mark.parametrize("family", sorted(VALID))
def test_schema_is_valid_draft_2020_12(exported: dict[str, dict[str, Any]], family: str) -> None:
    schema = exported[family]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False  # extra="forbid" carries over
    assert {"event_id", "tenant_id", "occurred_at"} <= set(schema["required"])


@pytest.mark.parametrize("family", sorted(VALID))
def test_valid_event_validates_and_bad_ones_do_not(
    exported: dict[str, dict[str, Any]], family: str
) -> None:
    validator = jsonschema.Draft202012Validator(
        exported[family], format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    good = VALID[family]
    assert list(validator.iter_errors(good)) == []
    assert not validator.is_valid({**good, "colour": "blue"})
    missing = dict(good)
    del missing["tenant_id"]
    assert not validator.is_valid(missing)
    assert not validator.is_valid({**good, "tenant_id": "Not A Slug"})
