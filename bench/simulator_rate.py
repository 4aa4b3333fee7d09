"""How fast the simulator generates call records.

Measures call CDRs generated per minute -- with everything needed for them: tenants, carriers,
incidents, billing lifecycles (who is active), arrivals, the queue DES, the dialer and API calls
-- first for generation alone and then including writing ``call.parquet``. The same process then
runs a naive row-at-a-time pure-Python generator (``random``, ``uuid``, ``datetime``, ``Decimal``,
a list scan for the free agent, one dict per record, then an Arrow table of the same schema) on a
smaller volume, for the speed-up.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from bench import BenchResult
from telephony.simulator import WIRE_SCHEMAS, SimulationConfig, simulate
from telephony.simulator.writer import write_parquet

START = date(2024, 3, 4)
DAYS, TENANTS = 30, 5
SCALE = 2.0  # ~330k calls: big enough that fixed costs do not dominate
BASELINE_CALLS = 20_000
TARGET_PER_MINUTE = 1_000_000
REPEATS = 3
MICRO = Decimal("0.000001")


def _best_of(repeats: int, action: object) -> tuple[float, object]:
    best, value = math.inf, None
    for _ in range(repeats):
        began = time.perf_counter()
        value = action()  # type: ignore[operator]
        best = min(best, time.perf_counter() - began)
    return best, value


def naive_calls(count: int, seed: int = 7) -> pa.Table:
    """The same kind of CDRs built the straightforward way: one call at a time, ``random``,
    ``uuid``, ``datetime`` and ``Decimal`` per field, a scan over the agents for the free one,
    one dict per record, then ``Table.from_pylist`` into the same wire schema."""
    rng = random.Random(seed)
    start = datetime(START.year, START.month, START.day, tzinfo=UTC)
    tenants = [f"tenant-{k}" for k in range(TENANTS)]
    customers = {t: [f"{t}-cus{c:04d}" for c in range(60)] for t in tenants}
    customer_weights = [1 / (rank + 1) ** 1.1 for rank in range(60)]
    countries = [("1", 10, 0.0045, 14), ("44", 10, 0.012, 9), ("49", 11, 0.014, 7),
                 ("52", 10, 0.018, 8), ("91", 10, 0.015, 9), ("63", 10, 0.09, 5)]  # fmt: skip
    country_weights = [c[3] for c in countries]
    carriers = [("bluewave", 1.2, 1), ("northstar", 1.0, 6), ("voxlink", 0.85, 60),
                ("meridian", 1.0, 1), ("crosspoint", 0.8, 6)]  # fmt: skip
    carrier_weights = [factor**-4 for _, factor, _ in carriers]
    codecs, codec_weights = ["PCMU", "PCMA", "G722", "G729", "OPUS"], [45, 15, 10, 20, 10]
    agents = [{"free": start, "break_at": start + timedelta(hours=2 + k % 4)} for k in range(40)]
    rows: list[dict[str, object]] = []
    now = start
    for _ in range(count):
        rate_per_s = 0.05 + 0.25 * math.exp(-0.5 * ((now.hour - 12) / 3.0) ** 2)
        now = now + timedelta(seconds=rng.expovariate(rate_per_s))
        tenant = rng.choice(tenants)
        customer = rng.choices(customers[tenant], weights=customer_weights)[0]
        code, digits, cost_per_min, _ = rng.choices(countries, weights=country_weights)[0]
        carrier, cost_factor, increment = rng.choices(carriers, weights=carrier_weights)[0]
        inbound = rng.random() < 0.6
        talk = min(7200.0, rng.lognormvariate(math.log(180), 0.7))
        answer_at = agent = queue_wait = None
        if inbound:
            best = None
            for index, state in enumerate(agents):  # longest-idle agent, breaks honoured
                if state["break_at"] <= now:
                    state["free"] = max(state["free"], state["break_at"]) + timedelta(minutes=15)
                    state["break_at"] += timedelta(hours=2)
                if best is None or state["free"] < agents[best]["free"]:
                    best = index
            assert best is not None
            pickup = max(now, agents[best]["free"])
            queue_wait = (pickup - now).total_seconds()
            if queue_wait > rng.weibullvariate(250, 1.4):
                end_at = now + timedelta(seconds=queue_wait)
            else:
                answer_at, agent = pickup, f"{tenant}-ag{best:03d}"
                end_at = pickup + timedelta(seconds=talk)
                agents[best]["free"] = end_at + timedelta(seconds=25)
        elif rng.random() < 0.6:
            answer_at = now + timedelta(seconds=rng.uniform(3, 15))
            end_at = answer_at + timedelta(seconds=talk)
        else:
            end_at = now + timedelta(seconds=rng.uniform(5, 40))
        billsec = int((end_at - answer_at).total_seconds()) if answer_at else 0
        billed = -(-billsec // increment) * increment
        cost = (Decimal(str(cost_per_min * cost_factor)) * billed / 60).quantize(MICRO)
        price = (Decimal(str(cost_per_min * 1.5)) * -(-billsec // 60)).quantize(MICRO)
        number = f"+{code}{rng.randrange(10 ** (digits - 1), 10**digits)}"
        rows.append(
            {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "tenant_id": tenant,
                "occurred_at": end_at,
                "schema_version": 1,
                "call_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "direction": "inbound" if inbound else "outbound",
                "from_number": number if inbound else f"+1{rng.randrange(2 * 10**9, 10**10)}",
                "to_number": f"+1{rng.randrange(2 * 10**9, 10**10)}" if inbound else number,
                "start_at": now,
                "answer_at": answer_at,
                "end_at": end_at,
                "billsec": billsec,
                "hangup_cause": "NORMAL_CLEARING" if answer_at else "ORIGINATOR_CANCEL",
                "q850_code": 16 if answer_at else None,
                "sip_code": 200 if answer_at else 487,
                "customer_id": customer,
                "carrier_id": carrier,
                "trunk_id": f"{carrier}-tr{rng.randint(1, 3)}",
                "route_id": f"{carrier}-out-{code}",
                "codec": rng.choices(codecs, weights=codec_weights)[0],
                "queue_id": f"{tenant}-support" if inbound else None,
                "agent_id": agent,
                "campaign_id": None,
                "queue_wait_sec": queue_wait,
                "hold_sec": 0,
                "wrapup_sec": 25 if agent else 0,
                "pdd_ms": None if inbound else int(rng.lognormvariate(7.6, 0.35)),
                "cost": cost,
                "price": price,
                "currency": "USD",
            }
        )
    return pa.Table.from_pylist(rows, schema=WIRE_SCHEMAS["call"])


def run() -> BenchResult:
    config = SimulationConfig(
        days=DAYS, tenants=TENANTS, seed=7, start=START, scale=SCALE, families=frozenset({"call"})
    )
    simulate(SimulationConfig(days=1, tenants=1, start=START, families=frozenset({"call"})))  # warm
    generate_s, result = _best_of(REPEATS, lambda: simulate(config))
    calls = result.tables["call"].num_rows  # type: ignore[union-attr]

    with tempfile.TemporaryDirectory() as folder:

        def generate_and_write() -> None:
            write_parquet(simulate(config).tables["call"], Path(folder) / "call.parquet")

        written_s, _ = _best_of(REPEATS, generate_and_write)

    everything = SimulationConfig(days=DAYS, tenants=TENANTS, seed=7, start=START)
    all_s, full = _best_of(1, lambda: simulate(everything))
    events = sum(full.counts.values())  # type: ignore[union-attr]

    naive_s, naive = _best_of(1, lambda: naive_calls(BASELINE_CALLS))
    assert naive.schema.equals(WIRE_SCHEMAS["call"])  # type: ignore[union-attr]

    def per_minute(count: int, seconds: float) -> float:
        return count / seconds * 60

    library_rate = per_minute(calls, generate_s)
    naive_rate = per_minute(BASELINE_CALLS, naive_s)

    def row(label: str, count: int, seconds: float, unit: str) -> list[str]:
        return [label, f"{count:,} {unit}", f"{seconds:.2f}", f"{per_minute(count, seconds):,.0f}"]

    rows = [
        row("call CDRs generated (library)", calls, generate_s, "calls"),
        row("call CDRs generated + call.parquet written", calls, written_s, "calls"),
        row("naive row-at-a-time pure Python", BASELINE_CALLS, naive_s, "calls"),
        row("all seven families (scale 1)", events, all_s, "events"),
    ]
    verdict = "met" if library_rate >= TARGET_PER_MINUTE else "NOT met"
    notes = [
        f"speed-up over the naive baseline: {library_rate / naive_rate:.1f}x",
        f"target >= {TARGET_PER_MINUTE:,} call records per minute of generation: {verdict}",
        f"{DAYS} days x {TENANTS} tenants x scale {SCALE}; best of {REPEATS}; one process.",
    ]
    return BenchResult(
        title="simulator_rate: call records per minute",
        columns=["measure", "records", "seconds", "records / minute"],
        rows=rows,
        notes=notes,
    )
