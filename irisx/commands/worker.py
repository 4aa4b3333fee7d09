"""``irisx worker``: consume validated batches from JetStream into the sinks (server profile)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("worker")
    def worker(
        durable: Annotated[
            str, typer.Option("--durable", help="Durable consumer name (share it to scale out)")
        ] = "irisx-worker",
        fetch_batch: Annotated[
            int, typer.Option("--fetch-batch", min=1, help="Messages fetched per pull")
        ] = 16,
        max_deliver: Annotated[
            int,
            typer.Option(
                "--max-deliver", min=1, help="Deliveries before a batch goes to dead letters"
            ),
        ] = 5,
        stream_prefix: Annotated[
            str, typer.Option("--stream-prefix", help="Streams are <prefix>_<FAMILY>")
        ] = "IRISX",
        subject_root: Annotated[
            str, typer.Option("--subject-root", help="Subjects are <root>.<tenant>.<family>")
        ] = "irisx",
        max_bytes: Annotated[
            int,
            typer.Option("--max-bytes", min=1, help="Size of streams this creates (bytes each)"),
        ] = 1024**3,
        fetch_timeout: Annotated[
            float, typer.Option("--fetch-timeout", min=0.05, help="Seconds a pull waits")
        ] = 1.0,
        once: Annotated[
            bool, typer.Option("--once", help="Stop when the streams have nothing to deliver")
        ] = False,
    ) -> None:
        """Write JetStream batches to the sinks; ack each only after every sink committed it."""
        import asyncio

        from config import get_settings
        from ingest import DeadLetterStore
        from ingest.transport import BatchWorker, JetStreamConfig
        from warehouse import ParquetLake

        settings = get_settings()
        settings.ensure_dirs()
        # The Parquet lake is the sink until the ClickHouse/PostgreSQL sinks are wired here.
        consumer = BatchWorker(
            JetStreamConfig(
                url=settings.nats_url,
                stream_prefix=stream_prefix,
                subject_root=subject_root,
                max_bytes=max_bytes,
            ),
            [ParquetLake(settings.lake_dir)],
            DeadLetterStore(settings.deadletter_dir),
            durable=durable,
            fetch_batch=fetch_batch,
            max_deliver=max_deliver,
        )
        try:
            stats = asyncio.run(consumer.run(once=once, fetch_timeout_s=fetch_timeout))
        except KeyboardInterrupt:
            stats = consumer.stats
        typer.echo(
            f"acked {stats.acked} batches, {stats.redelivery_requested} redeliveries, "
            f"{stats.dead_lettered} dead-lettered"
        )
