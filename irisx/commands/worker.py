"""``irisx worker``: consume validated batches from JetStream into the stores (server profile)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from config import Settings
    from ingest import BatchSink


class Store(StrEnum):
    """Where a consumer writes. Each store has its own durable consumer (``<durable>-<store>``),
    so a slow or failed store never holds back another and each drains its own backlog."""

    CLICKHOUSE = "clickhouse"
    POSTGRES = "postgres"
    LAKE = "lake"


def default_stores(settings: Settings) -> list[Store]:
    from config import Profile

    if settings.profile == Profile.SERVER:
        return [Store.CLICKHOUSE, Store.POSTGRES]
    return [Store.LAKE]


def build_sink(store: Store, settings: Settings) -> BatchSink:
    """The sink of one store, configured from the settings (the one configuration path)."""
    from warehouse import ParquetLake
    from warehouse.hotstore import PostgresHotStore
    from warehouse.landing import LandingLog
    from warehouse.sinks import ClickHouseWarehouseSink, HotStoreSink

    if store == Store.CLICKHOUSE:
        return ClickHouseWarehouseSink(
            settings.warehouse_dsn,
            landing=LandingLog(settings.landing_dir),
            chdb_folder=settings.chdb_dir if settings.warehouse_is_chdb else None,
        )
    if store == Store.POSTGRES:
        return HotStoreSink(PostgresHotStore(settings.postgres_dsn, settings.hot_retention_days))
    return ParquetLake(settings.lake_dir)


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        stores: Annotated[
            list[Store] | None,
            typer.Option(
                "--store",
                help="Store to feed (repeat for several). Default: clickhouse and postgres in "
                "the server profile, lake in the embedded one",
            ),
        ] = None,
        durable: Annotated[
            str,
            typer.Option(
                "--durable",
                help="Durable consumer name prefix; consumers are <prefix>-<store> (run more "
                "workers with the same names to scale out)",
            ),
        ] = "irisx",
        fetch_batch: Annotated[
            int,
            typer.Option(
                "--fetch-batch",
                min=1,
                help="Hot store (postgres): messages fetched per pull (written as one insert)",
            ),
        ] = 16,
        warehouse_fetch_batch: Annotated[
            int,
            typer.Option(
                "--warehouse-fetch-batch",
                min=1,
                help="ClickHouse and lake: messages fetched per pull (written as one insert; "
                "each insert makes a part or file, so fewer, larger ones cost less)",
            ),
        ] = 64,
        max_deliver: Annotated[
            int,
            typer.Option(
                "--max-deliver", min=1, help="Deliveries before a batch goes to dead letters"
            ),
        ] = 5,
        stream_prefix: Annotated[
            str | None,
            typer.Option(
                "--stream-prefix", help="Streams are <prefix>_<FAMILY> (default: settings)"
            ),
        ] = None,
        subject_root: Annotated[
            str | None,
            typer.Option(
                "--subject-root", help="Subjects are <root>.<tenant>.<family> (default: settings)"
            ),
        ] = None,
        max_bytes: Annotated[
            int | None,
            typer.Option(
                "--max-bytes", min=1, help="Size of streams this creates (default: settings)"
            ),
        ] = None,
        ack_wait: Annotated[
            float,
            typer.Option(
                "--ack-wait",
                min=1.0,
                help="Seconds before a batch delivered to a worker that died is redelivered",
            ),
        ] = 30.0,
        linger: Annotated[
            float,
            typer.Option(
                "--linger",
                min=0.0,
                help="Hot store: seconds a partial pull waits for more batches to join its insert",
            ),
        ] = 0.2,
        warehouse_linger: Annotated[
            float,
            typer.Option(
                "--warehouse-linger",
                min=0.0,
                help="ClickHouse and lake: seconds a partial pull waits for more batches",
            ),
        ] = 0.2,
        fetch_timeout: Annotated[
            float, typer.Option("--fetch-timeout", min=0.05, help="Seconds a pull waits")
        ] = 1.0,
        once: Annotated[
            bool, typer.Option("--once", help="Stop when the streams have nothing to deliver")
        ] = False,
    ) -> None:
        """Write JetStream batches to the stores; ack each only after its store committed it."""
        import asyncio
        import signal

        import uvloop

        from config import get_settings
        from ingest import DeadLetterStore
        from ingest.transport import BatchWorker, JetStreamConfig

        settings = get_settings()
        settings.ensure_dirs()
        config = JetStreamConfig(
            url=settings.nats_url,
            stream_prefix=stream_prefix or settings.stream_prefix,
            subject_root=subject_root or settings.subject_root,
            max_bytes=max_bytes or settings.stream_max_bytes,
        )
        chosen = list(dict.fromkeys(stores or default_stores(settings)))
        sinks = {store: build_sink(store, settings) for store in chosen}
        # The hot store feeds live wallboards: small, prompt batches. chDB's CPU per row falls
        # with the insert's size (192k calls: 1.2 core-s in inserts of 16k rows, 0.7 in
        # inserts of 48k, merges included), so a warehouse consumer that falls behind takes
        # more at once and catches up cheaper. (A longer linger would batch more even when
        # caught up, but every batch would then wait that long: a 1 s linger cost the 200k
        # benchmark ~10 % end to end in its drain.)
        pulls = {
            store: (fetch_batch, linger)
            if store == Store.POSTGRES
            else (warehouse_fetch_batch, warehouse_linger)
            for store in sinks
        }
        consumers = {
            store: BatchWorker(
                config,
                [sink],
                DeadLetterStore(settings.deadletter_dir),
                durable=f"{durable}-{store.value}",
                fetch_batch=pulls[store][0],
                max_deliver=max_deliver,
                ack_wait_s=ack_wait,
                linger_s=pulls[store][1],
            )
            for store, sink in sinks.items()
        }

        async def consume_all() -> None:
            # SIGTERM (service managers, `docker stop`) stops like Ctrl-C: unacked batches
            # simply stay in the stream.
            task = asyncio.gather(
                *(
                    consumer.run(once=once, fetch_timeout_s=fetch_timeout)
                    for consumer in consumers.values()
                )
            )
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
            await task

        try:
            # uvloop (as uvicorn uses for the API): the pulls of ~0.2 MB messages and their acks
            # cost ~3 % less of the worker's CPU than on asyncio's own loop.
            uvloop.run(consume_all())
        except (KeyboardInterrupt, asyncio.CancelledError):
            pass
        finally:
            for sink in sinks.values():
                close = getattr(sink, "close", None)
                if close is not None:
                    close()
        for store, consumer in consumers.items():
            stats = consumer.stats
            typer.echo(
                f"{store.value}: acked {stats.acked} batches ({stats.events_acked} events in "
                f"{stats.writes} writes), {stats.redelivery_requested} redeliveries, "
                f"{stats.dead_lettered} dead-lettered, {stats.outages} store outages"
            )
