"""Contract test: every simulated record, in both formats, validates against ingest.contracts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from ingest.contracts import FAMILIES, Q850_CODE, HangupCause, family_schema
from telephony.simulator import FAMILY_NAMES, SimulationConfig, simulate, write_result
from tests.telephony.conftest import Run


def test_wire_schemas_are_the_lake_schemas_of_the_contracts(week_run: Run) -> None:
    assert set(FAMILY_NAMES) == set(FAMILIES)
    for family in FAMILIES:
        written = pq.read_schema(week_run.folder / f"{family}.parquet")
        expected = family_schema(family)
        assert written.equals(expected), f"{family}: {written} != {expected}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_parquet_record_validates(week_run: Run, family: str) -> None:
    model = FAMILIES[family]
    rows = pq.read_table(week_run.folder / f"{family}.parquet").to_pylist()
    assert len(rows) > 0
    errors = []
    for number, row in enumerate(rows):
        try:
            model.model_validate(row)
        except ValidationError as error:
            errors.append(f"row {number}: {error}")
    assert not errors, f"{len(errors)} invalid {family} records, first: {errors[:3]}"


def test_every_ndjson_record_validates(tmp_path: Path) -> None:
    config = SimulationConfig(days=2, tenants=1, seed=5, start=date(2024, 6, 3), scale=0.3)
    result = simulate(config)
    written = write_result(result, tmp_path, "ndjson")
    for family, model in FAMILIES.items():
        lines = written[family].read_bytes().splitlines()
        assert len(lines) == result.tables[family].num_rows > 0
        for number, line in enumerate(lines):
            try:
                model.model_validate_json(line)
            except ValidationError as error:
                pytest.fail(f"{family} line {number + 1}: {error}")


def test_identifiers_are_unique(week_run: Run) -> None:
    db = week_run.db()
    for family in FAMILIES:
        [(rows, ids)] = db.sql(
            f"select count(*), count(distinct event_id) from {family}"
        ).fetchall()
        assert rows == ids, family
    [(calls, call_ids)] = db.sql("select count(*), count(distinct call_id) from call").fetchall()
    assert calls == call_ids


def test_q850_codes_follow_the_contract_table(week_run: Run) -> None:
    pairs = week_run.db().sql("select distinct hangup_cause, q850_code from call").fetchall()
    assert len(pairs) >= 6
    for cause, code in pairs:
        assert Q850_CODE[HangupCause(cause)] == code, cause
