"""End to end in the server profile: HTTP → JetStream → ClickHouse (chDB) and PostgreSQL.

Everything runs on this machine as it would be deployed: the API (``irisx serve``, one uvicorn
worker) and the stream worker (``irisx worker``: one consumer per store) as subprocesses, NATS
and PostgreSQL as the machine's servers, chDB inside the worker. The load generator in this
process POSTs simulated call records in batches of 1,000 (JSON arrays, a few requests in flight)
while a probe measures freshness: a one-event POST, then polling the hot store's minute rollup
until the event is counted. Measured:

- accepted events/s at the API, request latency p50/p99;
- end-to-end events/s: first POST until both stores acked every batch;
- freshness, accepted → counted in the live rollup (p50/p99 over the probes, under load);
- freshness of the daily marts: last event accepted → ``dbt build`` on the ClickHouse target done
  (the worker lends the chDB folder to dbt while it runs);
- each store's write rate alone (the sink the worker uses, 100k rows), against LIMITS.md;
- a naive baseline in the same process: one JetStream message per event (awaiting each ack), a
  consumer validating each event with pydantic and inserting with ``executemany`` into PostgreSQL
  and row inserts into chDB.

``IRISX_BENCH_EVENTS`` sets the load (default 1,000,000 events: about 20 s of load, so the rate
is a sustained one; in a 200k run the start and the drain weigh ~5 %), ``IRISX_BENCH_WORKER_ARGS``
adds ``irisx worker`` options (e.g. ``--fetch-batch 32``); ``IRISX_BENCH_MARTS=0`` skips
the daily marts (a quicker run, for comparing changes to the streaming path). Because this
machine's speed varies with its neighbours (a fixed loop took 1.4 to 2.4 s on one day), the table
also reports a reference loop timed just before the load, and the CPU of every process: compare
runs by core-seconds per event, or against a run of the other version right before or after.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import clickhouse_connect
import httpx
import nats
import nats.js.errors
import orjson
import psycopg
import pyarrow as pa
from nats.js import JetStreamContext

from bench import BenchResult
from config import Profile, Settings
from ingest.contracts import FAMILIES, CallRecord
from ingest.transport import JetStreamConfig, stream_name
from serving.auth import ApiKeyStore
from telephony.simulator import SimulationConfig, simulate
from warehouse.hotstore import PostgresHotStore
from warehouse.sinks import ClickHouseWarehouseSink, HotStoreSink

ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
BATCH = 1_000
IN_FLIGHT = int(os.environ.get("IRISX_BENCH_IN_FLIGHT", "8"))
#: ``irisx serve --workers``: API processes.
API_WORKERS = int(os.environ.get("IRISX_BENCH_API_WORKERS", "1"))
#: Extra ``irisx worker`` arguments, e.g. ``--fetch-batch 32`` (split on spaces).
WORKER_ARGS = os.environ.get("IRISX_BENCH_WORKER_ARGS", "").split()
#: ``0``: skip the daily marts step.
MARTS = os.environ.get("IRISX_BENCH_MARTS", "1") != "0"
PROBE_EVERY_S = 0.25
NAIVE_EVENTS = 20_000
#: Rows/s of each store's bulk path measured alone on this machine (shared/reference/LIMITS.md).
LIMITS = {"PostgreSQL binary COPY": 130_000, "chDB insert_arrow": 250_000}
BIN = Path(sys.executable).parent


@dataclass
class LoadOutcome:
    accepted: int = 0
    refused_503: int = 0
    latencies_s: list[float] = field(default_factory=list)
    freshness_s: list[float] = field(default_factory=list)
    started: float = 0.0
    accepted_by: float = 0.0
    last_accept: float = 0.0
    #: Both stores acknowledged every batch.
    drained_at: float = 0.0


def reference_loop_ms(additions: int = 5_000_000) -> float:
    """Best of three timings of a fixed pure-Python loop: how fast this machine runs Python
    right now (its speed varies with the other machines on the host)."""
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for number in range(additions):
            total += number
        best = min(best, time.perf_counter() - began)
    return best * 1e3


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _pair(values: list[float], *, scale: float, digits: int) -> str:
    """``p50 / p99`` of ``values`` times ``scale``."""
    p50, p99 = (_percentile(values, share) * scale for share in (0.5, 0.99))
    return f"{p50:.{digits}f} / {p99:.{digits}f}"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def pids_named(name: str) -> list[int]:
    found = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (uvicorn's worker processes)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(child) for child in found.stdout.split()]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def simulated_calls(count: int) -> pa.Table:
    """At least ``count`` simulated calls of yesterday and today (inside the hot store's
    retention), as validated Arrow rows."""
    today = datetime.now(UTC).date()
    # ~3,700 calls per unit of scale over two weekdays, fewer at weekends: scale up until enough.
    scale = max(1.0, count / 3_000)
    for _ in range(4):
        result = simulate(
            SimulationConfig(
                days=2,
                tenants=2,
                seed=11,
                start=today - timedelta(days=1),
                scale=scale,
                families=frozenset({"call"}),
            )
        )
        table = result.tables["call"]
        if table.num_rows >= count:
            return table.slice(0, count)
        scale *= 1.1 * count / max(table.num_rows, 1)
    raise RuntimeError(f"simulator gave {table.num_rows} calls, wanted {count}")


def _bodies(table: pa.Table) -> list[tuple[str, bytes]]:
    """(tenant, JSON array body) per batch of BATCH events of one tenant."""
    bodies: list[tuple[str, bytes]] = []
    for tenant in sorted(set(table.column("tenant_id").to_pylist())):
        rows = table.filter(pa.compute.equal(table.column("tenant_id"), tenant)).to_pylist()
        for offset in range(0, len(rows), BATCH):
            bodies.append((tenant, orjson.dumps(rows[offset : offset + BATCH], default=str)))
    return bodies


def _probe_body(number: int, template: dict[str, Any]) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    event = {
        **template,
        "event_id": f"probe-{number}-{uuid.uuid4().hex[:8]}",
        "tenant_id": "probe",
        "call_id": str(uuid.uuid4()),
        "start_at": now - timedelta(seconds=30),
        "answer_at": now - timedelta(seconds=25),
        "end_at": now,
        "occurred_at": now,
        "billsec": 25,
    }
    return orjson.dumps([event], default=str)


async def _load(
    base_url: str,
    keys: dict[str, str],
    bodies: list[tuple[str, bytes]],
    dsn: str,
    probe_template: dict[str, Any],
    config: JetStreamConfig,
) -> LoadOutcome:
    outcome = LoadOutcome()
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    done = asyncio.Event()

    async def post(client: aiohttp.ClientSession, tenant: str, body: bytes) -> dict[str, Any]:
        """The answer to one POST of ``body``, retried after each 503's Retry-After."""
        while True:
            began = time.perf_counter()
            async with client.post(
                f"{base_url}/v1/events/call",
                data=body,
                headers={"X-API-Key": keys[tenant], "Content-Type": "application/json"},
            ) as response:
                if response.status != 503:
                    outcome.latencies_s.append(time.perf_counter() - began)
                    response.raise_for_status()
                    answer: dict[str, Any] = orjson.loads(await response.read())
                    return answer
                retry_after = float(response.headers.get("Retry-After", "1"))
            outcome.refused_503 += 1
            await asyncio.sleep(retry_after)

    async def sender(client: aiohttp.ClientSession) -> None:
        while not queue.empty():
            tenant, body = queue.get_nowait()
            answer = await post(client, tenant, body)
            outcome.accepted += int(answer["accepted"])
            outcome.last_accept = time.perf_counter()

    async def prober(client: aiohttp.ClientSession) -> None:
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            cursor = await conn.execute(
                "select coalesce(sum(offered), 0) from call_minute_rollup where tenant_id = 'probe'"
            )
            already = await cursor.fetchone()
            baseline = int(already[0]) if already else 0  # the warm-up probe
            number = 0
            while not done.is_set():
                number += 1
                await post(client, "probe", _probe_body(number, probe_template))
                accepted_at = time.perf_counter()
                while True:
                    cursor = await conn.execute(
                        "select coalesce(sum(offered), 0) from call_minute_rollup"
                        " where tenant_id = 'probe'"
                    )
                    row = await cursor.fetchone()
                    if row is not None and int(row[0]) >= baseline + number:
                        break
                    if time.perf_counter() - accepted_at > 120:
                        raise RuntimeError("probe never reached the rollup")
                    await asyncio.sleep(0.02)
                outcome.freshness_s.append(time.perf_counter() - accepted_at)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), PROBE_EVERY_S)

    # aiohttp, not httpx: the load generator shares the machine with what it measures, and
    # httpx spent ~2.5x its CPU per 1,000-event POST (0.40 vs 0.16 core-s for 200 POSTs).
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=IN_FLIGHT + 2),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as client:
        outcome.started = time.perf_counter()
        probe = asyncio.create_task(prober(client))
        await asyncio.gather(*(sender(client) for _ in range(IN_FLIGHT)))
        outcome.accepted_by = time.perf_counter()
        done.set()
        # Timed while the probe finishes its last round, not after it.
        outcome.drained_at = await _drained(config)
        await probe
    return outcome


async def _pending(js: JetStreamContext, config: JetStreamConfig) -> int:
    """Batches the two store consumers have not acknowledged yet (-1: no consumer yet)."""
    total = 0
    for durable in ("irisx-clickhouse", "irisx-postgres"):
        try:
            info = await js.consumer_info(stream_name(config, "call"), durable)
        except nats.js.errors.NotFoundError:
            return -1
        total += int(info.num_pending) + int(info.num_ack_pending)
    return total


async def _backlog(config: JetStreamConfig) -> int:
    nc = await nats.connect(config.url)
    try:
        return await _pending(nc.jetstream(), config)
    finally:
        await nc.close()


async def _drained(config: JetStreamConfig, timeout_s: float = 600) -> float:
    """When both consumers have acknowledged every batch (polled every 20 ms on one
    connection, so that the poll neither waits long nor costs a connect each time)."""
    nc = await nats.connect(config.url)
    try:
        js = nc.jetstream()
        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            if await _pending(js, config) == 0:
                return time.perf_counter()
            await asyncio.sleep(0.02)
    finally:
        await nc.close()
    raise RuntimeError("stores did not drain the stream in time")


async def _delete_streams(config: JetStreamConfig) -> None:
    nc = await nats.connect(config.url)
    js = nc.jetstream()
    for family in FAMILIES:  # the worker creates every family's stream
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(stream_name(config, family))
    await nc.close()


def _wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"API at {url} did not come up")


def _store_alone_rates(table: pa.Table, settings: Settings, dsn: str) -> list[tuple[str, float]]:
    """Rows/s of each sink's write alone (what the worker calls), 100k rows, fresh stores."""
    # Warm-up rows (migrations, partitions) are not in the timed batch: a timed batch that
    # repeats them would measure the duplicate-handling path instead.
    warm, rows = table.slice(0, 10), table.slice(10, 100_000)
    rates: list[tuple[str, float]] = []
    hot = HotStoreSink(PostgresHotStore(dsn), refresh_rollups=False)
    hot.write_batch("call", warm, "warm")
    began = time.perf_counter()
    hot.write_batch("call", rows, "alone")
    rates.append(("PostgreSQL binary COPY", rows.num_rows / (time.perf_counter() - began)))
    hot.close()
    warehouse = ClickHouseWarehouseSink(f"chdb://{settings.data_dir / 'chdb-alone'}")
    warehouse.write_batch("call", warm, "warm")
    began = time.perf_counter()
    warehouse.write_batch("call", rows, "alone")
    rates.append(("chDB insert_arrow", rows.num_rows / (time.perf_counter() - began)))
    warehouse.close()
    return rates


async def _naive(
    events: list[dict[str, Any]], config: JetStreamConfig, dsn: str, chdb: str
) -> float:
    """Per-event publish awaiting each ack; consumer: pydantic per event, executemany into
    PostgreSQL, row inserts into chDB. Returns end-to-end events/s."""
    nc = await nats.connect(config.url)
    js = nc.jetstream()
    name = stream_name(config, "call")
    await js.add_stream(name=name, subjects=[f"{config.subject_root}.*.call"])
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "create table naive_calls (event_id text, start_at timestamptz, payload jsonb,"
            " primary key (event_id, start_at))"
        )
    client = clickhouse_connect.get_client(dsn=chdb)
    client.command(
        "create table naive_calls (event_id String, start_at DateTime64(6, 'UTC'),"
        " payload String) engine = ReplacingMergeTree order by event_id"
    )
    subscription = await js.pull_subscribe(f"{config.subject_root}.*.call", durable="naive")

    async def publish() -> None:
        for event in events:
            await js.publish(
                f"{config.subject_root}.{event['tenant_id']}.call",
                orjson.dumps(event, default=str),
                headers={"Nats-Msg-Id": event["event_id"]},
            )

    def store(conn: psycopg.Connection, payloads: list[bytes]) -> None:
        models = [CallRecord.model_validate_json(payload) for payload in payloads]
        rows = [(model.event_id, model.start_at, model.model_dump_json()) for model in models]
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into naive_calls values (%s, %s, %s) on conflict do nothing", rows
            )
        conn.commit()
        client.insert("naive_calls", rows, column_names=["event_id", "start_at", "payload"])

    async def consume() -> None:
        stored = 0
        with psycopg.connect(dsn) as conn:
            while stored < len(events):
                try:
                    messages = await subscription.fetch(BATCH, timeout=1)
                except TimeoutError:
                    continue
                # Blocking database work off the event loop, so the publisher keeps going.
                await asyncio.to_thread(store, conn, [message.data for message in messages])
                for message in messages:
                    await message.ack()
                stored += len(messages)

    began = time.perf_counter()
    await asyncio.gather(publish(), consume())
    elapsed = time.perf_counter() - began
    client.close()
    await js.delete_stream(name)
    await nc.close()
    return len(events) / elapsed


def run() -> BenchResult:
    total = int(os.environ.get("IRISX_BENCH_EVENTS", "1000000"))
    tag = uuid.uuid4().hex[:10]
    database = f"bench_{tag}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"create database {database}")
        # The stores-alone rates load events the pipeline stored already: into a fresh
        # database, or they would time the duplicate path.
        admin.execute(f"create database {database}_alone")
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={database}"
    alone_dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={database}_alone"
    config = JetStreamConfig(
        stream_prefix=f"B{tag}", subject_root=f"b{tag}", max_bytes=512 * 1024**2
    )
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp) / "irisx", profile=Profile.SERVER)
            settings.ensure_dirs()
            table = simulated_calls(max(total, 100_010))
            load = table.slice(0, total)
            bodies = _bodies(load)
            tenants = sorted({tenant for tenant, _ in bodies} | {"probe"})
            keys = {
                tenant: ApiKeyStore(settings.auth_db_path).create(tenant)[1] for tenant in tenants
            }
            port = _free_port()
            env = dict(
                os.environ,
                IRISX_PROFILE="server",
                IRISX_DATA_DIR=str(settings.data_dir),
                IRISX_POSTGRES_DSN=dsn,
                IRISX_NATS_URL=config.url,
                IRISX_STREAM_PREFIX=config.stream_prefix,
                IRISX_SUBJECT_ROOT=config.subject_root,
                IRISX_STREAM_MAX_BYTES=str(config.max_bytes),
                IRISX_API_PORT=str(port),
            )
            log = (Path(tmp) / "processes.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [str(BIN / "irisx"), "worker", *WORKER_ARGS], env=env, stdout=log, stderr=log
                )
            )
            processes.append(
                subprocess.Popen(
                    [str(BIN / "irisx"), "serve", "--workers", str(API_WORKERS)],
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
            base_url = f"http://127.0.0.1:{port}"
            _wait_http(f"{base_url}/healthz")
            # Let the worker create its consumers (and the hot store schema) before the clock.
            warm = load.slice(0, 1).to_pylist()[0]
            httpx.post(
                f"{base_url}/v1/events/call",
                content=_probe_body(0, warm),
                headers={"X-API-Key": keys["probe"], "Content-Type": "application/json"},
            ).raise_for_status()
            while asyncio.run(_backlog(config)) != 0:
                time.sleep(0.2)

            groups = {
                "API (irisx serve)": [processes[1].pid, *_children(processes[1].pid)],
                "stream worker (incl. chDB)": [processes[0].pid],
                "NATS server": pids_named("nats-server"),
                "PostgreSQL": pids_named("postgres"),
            }
            reference_ms = reference_loop_ms()
            cpu_before = {group: cpu_seconds(pids) for group, pids in groups.items()}
            own_before = time.process_time()
            outcome = asyncio.run(_load(base_url, keys, bodies, dsn, warm, config))
            drained_at = outcome.drained_at
            cpu_used = {
                group: cpu_seconds(pids) - cpu_before[group] for group, pids in groups.items()
            }
            cpu_used["load generator + probe (this process)"] = time.process_time() - own_before
            wall = drained_at - outcome.started
            e2e_rate = outcome.accepted / (drained_at - outcome.started)
            accept_rate = outcome.accepted / (outcome.accepted_by - outcome.started)

            # Daily marts: the incremental run of the days that got data (what the sensor asks
            # for), on the ClickHouse target while the worker still runs (it lends chDB).
            dbt_s: float | None = None
            marts_at: float | None = None
            if MARTS:
                today = datetime.now(UTC).date()
                marts = subprocess.run(
                    [
                        str(BIN / "irisx"),
                        "materialize",
                        "--from",
                        (today - timedelta(days=1)).isoformat(),
                        "--to",
                        today.isoformat(),
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                marts_at = time.perf_counter()
                if marts.returncode != 0:
                    raise RuntimeError(f"irisx materialize failed: {marts.stdout[-2000:]}")
                dbt_s = marts_at - drained_at

            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
            processes.clear()
            with psycopg.connect(dsn) as conn:
                hot_rows = conn.execute(
                    "select count(*) from calls where tenant_id <> 'probe'"
                ).fetchone()[0]  # type: ignore[index]
            client = clickhouse_connect.get_client(dsn=settings.warehouse_dsn)
            warehouse_rows = int(
                client.command(  # type: ignore[arg-type]
                    "select count() from irisx_raw.call final where tenant_id <> 'probe'"
                )
            )
            mart_calls = (
                int(
                    client.command(  # type: ignore[arg-type]
                        "select sum(offered) from irisx.agg_call_kpis_daily"
                        " where tenant_id <> 'probe'"
                    )
                )
                if MARTS
                else None
            )
            client.close()

            with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
                # The load left dirty pages behind: write them out now, or the checkpoint
                # they cause would run during (and be timed as part of) the store alone.
                admin.execute("checkpoint")
            alone = _store_alone_rates(table, settings, alone_dsn)
            naive_config = JetStreamConfig(stream_prefix=f"N{tag}", subject_root=f"n{tag}")
            naive_events = table.slice(0, NAIVE_EVENTS).to_pylist()
            naive_rate = asyncio.run(
                _naive(
                    naive_events, naive_config, dsn, f"chdb://{settings.data_dir / 'chdb-naive'}"
                )
            )
    finally:
        for process in processes:
            process.kill()
        asyncio.run(_delete_streams(config))
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f"drop database if exists {database} with (force)")
            admin.execute(f"drop database if exists {database}_alone with (force)")

    if (hot_rows, warehouse_rows) != (total, total):
        raise RuntimeError(f"lost or duplicated events: PG {hot_rows}, ClickHouse {warehouse_rows}")
    rows = [
        ["events posted (batches of 1,000)", f"{total:,}"],
        ["accepted at the API, events/s", f"{accept_rate:,.0f}"],
        ["end to end (both stores acked), events/s", f"{e2e_rate:,.0f}"],
        ["naive baseline end to end, events/s", f"{naive_rate:,.0f}"],
        ["ratio end to end / naive", f"{e2e_rate / naive_rate:.1f}x"],
        [
            "request latency p50 / p99, ms",
            _pair(outcome.latencies_s, scale=1e3, digits=0),
        ],
        ["503 answers (retried)", f"{outcome.refused_503}"],
        [
            f"freshness to live rollup p50 / p99, s ({len(outcome.freshness_s)} probes)",
            _pair(outcome.freshness_s, scale=1.0, digits=2),
        ],
        ["last event accepted -> stores drained, s", f"{drained_at - outcome.last_accept:.1f}"],
        [
            "stores drained -> daily marts rebuilt (irisx materialize, 2 days), s",
            "skipped" if dbt_s is None else f"{dbt_s:.1f}",
        ],
        [
            "last event accepted -> visible in the daily marts, s",
            "skipped" if marts_at is None else f"{marts_at - outcome.last_accept:.1f}",
        ],
        [
            "rows: PostgreSQL / ClickHouse FINAL / mart calls",
            f"{hot_rows:,} / {warehouse_rows:,} / "
            + ("skipped" if mart_calls is None else f"{mart_calls:,}"),
        ],
        ["reference loop (5M Python additions) before the load, ms", f"{reference_ms:,.0f}"],
    ]
    for group, seconds in cpu_used.items():
        rows.append(
            [
                f"CPU while loading: {group}, core-seconds (share of {wall:.1f} s)",
                f"{seconds:.1f} ({seconds / wall:.0%})",
            ]
        )
    all_cpu = sum(cpu_used.values())
    rows.append(
        [
            "CPU while loading, all processes: core-seconds per 100k events",
            f"{all_cpu * 100_000 / total:.2f}",
        ]
    )
    for name, rate in alone:
        rows.append(
            [
                f"{name} alone, rows/s (LIMITS.md {LIMITS[name]:,})",
                f"{rate:,.0f} ({rate / LIMITS[name]:.0%})",
            ]
        )
    return BenchResult(
        title="Server profile end to end: HTTP -> JetStream -> chDB + PostgreSQL",
        columns=["measure", "value"],
        rows=rows,
        notes=[
            f"{IN_FLIGHT} requests in flight, {API_WORKERS} API process(es); API, worker, NATS, "
            "PostgreSQL and this load generator share the machine's cores.",
            "PostgreSQL alone: the hot store sink's write of 100k new calls into an empty "
            "database, binary COPY plus the call and queue rollup deltas it commits with them, "
            "after a CHECKPOINT (the load's dirty pages written out first).",
            "naive: one JetStream message per event awaiting its ack, pydantic per event, "
            "executemany into PostgreSQL and row inserts into chDB, "
            f"{NAIVE_EVENTS:,} events.",
        ],
    )
