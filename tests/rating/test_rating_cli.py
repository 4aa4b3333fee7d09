"""``irisx rate`` end to end: simulated Parquet CDRs and NDJSON records, decks from CSV."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
from event_samples import call_record
from typer.testing import CliRunner

from irisx.cli import app
from telephony.simulator import SimulationConfig, simulate, write_result

runner = CliRunner()
HEADER = "prefix,rate_per_min,increment,connection_fee\n"


def decks(tmp_path: Path) -> tuple[Path, Path]:
    """Prices: +1 at 0.6/min per second (price = billsec / 100), nothing else. Costs: a
    folder whose _default deck bills +1 at 0.06 per started minute."""
    prices = tmp_path / "prices.csv"
    prices.write_text(HEADER + "1,0.6,1/1,\n")
    costs = tmp_path / "costs"
    costs.mkdir()
    (costs / "_default.csv").write_text(HEADER + "1,0.06,60/60,\n")
    return prices, costs


def test_rate_simulated_parquet(tmp_path: Path) -> None:
    config = SimulationConfig(
        days=1, tenants=1, seed=3, start=date(2024, 3, 4), scale=0.1, families=frozenset({"call"})
    )
    written = write_result(simulate(config), tmp_path / "sim")
    prices, costs = decks(tmp_path)
    out = tmp_path / "rated" / "calls.parquet"
    done = runner.invoke(
        app,
        ["rate", str(written["call"]), "--prices", str(prices), "--costs", str(costs),
         "--out", str(out)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    rated = pq.read_table(out).to_pylist()
    assert len(rated) == pq.read_metadata(written["call"]).num_rows > 50
    by_status: dict[str, int] = {}
    for call in rated:
        status = call["rating_status"]
        by_status[status] = by_status.get(status, 0) + 1
        if call["direction"] != "outbound":
            assert status == "not_rated"
            assert call["price"] is None
        elif call["billsec"] == 0:
            assert (status, call["price"], call["cost"]) == ("unanswered", 0, 0)
        elif call["to_number"].startswith("+1"):
            assert status == "rated"
            assert call["price"] == Decimal(call["billsec"]) / 100
            assert call["cost"] == Decimal("0.06") * -(-call["billsec"] // 60)
        else:
            assert (status, call["price"]) == ("no_route", None)
        assert call["currency"] == "USD"
    assert by_status["rated"] > 0
    assert by_status["not_rated"] > 0
    for status, count in by_status.items():
        assert f"{status:<12}{count:>12,}" in done.output
    total = sum(call["price"] for call in rated if call["price"] is not None)
    assert f"price total: {total:.6f} USD" in done.output


def test_rate_ndjson_counts_rejects_and_bad_decks_fail(tmp_path: Path) -> None:
    calls = tmp_path / "calls.ndjson"
    records = [
        call_record(1, direction="outbound", billsec=25),  # 25 s: price 0.25, cost 0.06
        call_record(2, direction="outbound", billsec=-3),  # rejected by the contract
    ]
    calls.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    prices, costs = decks(tmp_path)
    out = tmp_path / "rated.parquet"
    args = ["rate", str(calls), "--prices", str(prices), "--costs", str(costs), "--out", str(out)]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    (call,) = pq.read_table(out).to_pylist()
    assert (call["price"], call["cost"], call["rating_status"]) == (
        Decimal("0.25"),
        Decimal("0.06"),
        "rated",
    )
    assert "rejected (not valid call records, not rated): 1" in done.output

    prices.write_text(HEADER + "1,0.6,1/1,\n1,0.7,1/1,\n")
    done = runner.invoke(app, args)
    assert done.exit_code == 2
    assert "line 3, field prefix" in done.output
