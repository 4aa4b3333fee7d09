"""``irisx rate``: rate call records in bulk against price lists and carrier cost decks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import pyarrow as pa

    from telephony.rating import DeckSet

#: Deck file of owners without their own (inside a --prices/--costs folder).
DEFAULT_DECK = "_default"
INBOUND_SUFFIX = ".inbound"


def load_decks(path: Path) -> DeckSet:
    """A deck file (every owner's outbound deck) or a folder of ``<owner>.csv`` and
    ``<owner>.inbound.csv`` (``_default`` = owners without their own)."""
    from telephony.rating import DeckSet, load_deck_csv

    if path.is_file():
        return DeckSet(outbound={"*": load_deck_csv(path)})
    outbound, inbound = {}, {}
    for file in sorted(path.glob("*.csv")):
        stem = file.stem
        target = outbound
        if stem.endswith(INBOUND_SUFFIX):
            stem, target = stem.removesuffix(INBOUND_SUFFIX), inbound
        target["*" if stem == DEFAULT_DECK else stem] = load_deck_csv(file, stem)
    if not outbound and not inbound:
        raise typer.BadParameter(f"{path} holds no .csv decks")
    return DeckSet(outbound=outbound, inbound=inbound)


def read_calls(path: Path) -> tuple[pa.Table, int]:
    """``(call table, rejected count)``: Parquet as written (the simulator's and the lake's
    schema); other formats through ingest's readers and the call contract."""
    import pyarrow.parquet as pq

    from ingest import RecordOptions, read_path
    from ingest.validate import validate_records

    if path.suffix.lower() == ".parquet":
        return pq.read_table(path), 0
    raw = [item.record for item in read_path(path)]
    records = [record for record in raw if record is not None]
    checked = validate_records("call", records, RecordOptions())
    accepted = [i for i, outcome in enumerate(checked.outcomes) if isinstance(outcome, str)]
    table: pa.Table = checked.table(accepted)
    return table, len(raw) - len(accepted)


def register(app: typer.Typer) -> None:
    @app.command("rate")
    def rate_command(
        paths: Annotated[
            list[Path],
            typer.Argument(
                help="Call-record files (Parquet, NDJSON, CSV or JSON, as `irisx simulate` or "
                "the lake writes them)",
                exists=True,
                dir_okay=False,
            ),
        ],
        prices: Annotated[
            Path,
            typer.Option(
                help="Customer price list: one deck CSV for every tenant, or a folder of "
                "<tenant_id>.csv (+ <tenant_id>.inbound.csv; _default.csv for the rest)",
                exists=True,
            ),
        ],
        costs: Annotated[
            Path,
            typer.Option(
                help="Carrier cost decks: one deck CSV for every carrier, or a folder of "
                "<carrier_id>.csv (+ .inbound.csv; _default.csv for the rest)",
                exists=True,
            ),
        ],
        out: Annotated[Path, typer.Option(help="Parquet file to write the rated calls to")],
    ) -> None:
        """Rate calls: fill cost, price and currency, add price_status, cost_status and
        rating_status (rated | unanswered | no_route | no_deck | not_rated).

        Deck CSV columns: prefix, rate_per_min, increment (initial/subsequent seconds, e.g.
        30/6), and optionally minimum_charge, connection_fee, effective_from, currency,
        description. Outbound calls are rated on the dialled number; inbound calls only against
        inbound decks; unanswered calls (billsec 0) cost 0. Rules: docs/rating.md.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from telephony.rating import CallRater

        try:
            rater = CallRater(load_decks(prices), load_decks(costs))
        except ValueError as error:  # DeckValidationError, or decks in several currencies
            # Plain text, not a usage panel: deck errors name lines and fields and can be many.
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None
        tables, rejected = [], 0
        for path in paths:
            table, bad = read_calls(path)
            tables.append(table)
            rejected += bad
        calls = pa.concat_tables(tables, promote_options="permissive")
        try:
            rated = rater.rate_table(calls)
        except ValueError as error:  # not call records (columns missing)
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=1) from None
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rated, out)

        typer.echo(f"{'status':<12}{'calls':>12}")
        statuses = rated.column("rating_status").to_numpy(zero_copy_only=False)
        names, counts = np.unique(statuses, return_counts=True)
        for name, count in zip(names, counts, strict=True):
            typer.echo(f"{name:<12}{count:>12,}")
        typer.echo(f"{'total':<12}{rated.num_rows:>12,}")
        for column in ("price", "cost"):
            total = pc.sum(rated.column(column)).as_py() or 0
            typer.echo(f"{column} total: {total} {rater.currency}")
        if rejected:
            typer.echo(f"rejected (not valid call records, not rated): {rejected}")
        typer.echo(f"written to {out}")
