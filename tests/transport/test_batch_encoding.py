"""The message body of a batch: an Arrow IPC stream in one LZ4 frame, IPC with zstd buffers when
lz4 leaves it too large; either way the worker's decode gives back the very table (schema
included), and bodies written before the LZ4 frame (IPC with lz4 buffers) still decode."""

from __future__ import annotations

import random
from pathlib import Path

import lz4.frame
import pyarrow as pa
import pytest

import ingest.transport.jetstream as jetstream
from ingest.contracts import family_schema
from ingest.transport import decode_batch, encode_batch
from tests.event_samples import call_record
from tests.stream_support import validated_batch


def _ipc(table: pa.Table, codec: str | None) -> bytes:
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=codec)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@pytest.fixture
def table(tmp_path: Path) -> pa.Table:
    # Numbers, carriers and costs vary as in real traffic (lz4 then shrinks the table ~2.7x).
    rng = random.Random(7)
    events = [
        call_record(
            i,
            from_number=f"+1{rng.randrange(10**9, 10**10)}",
            to_number=f"+44{rng.randrange(10**9, 10**10)}",
            carrier_id=f"carrier-{rng.randrange(10**6)}",
            cost=f"{rng.randrange(10**6) / 1e6:.6f}",
            pdd_ms=rng.randrange(5000),
        )
        for i in range(300)
    ]
    return validated_batch(events, "encoding", tmp_path).table


def _frame(table: pa.Table) -> bytes:
    return lz4.frame.compress(_ipc(table, None), store_size=True)


def test_a_batch_travels_as_one_lz4_frame_and_decodes_to_the_same_table(table: pa.Table) -> None:
    assert table.num_rows == 300
    payload = encode_batch(table)
    # A standard LZ4 frame (magic 0x184D2204, little-endian) that unpacks to the plain stream.
    assert payload[:4] == bytes.fromhex("04224d18")
    assert lz4.frame.decompress(payload) == _ipc(table, None)
    assert len(payload) < len(_ipc(table, None)) / 2  # compressed at all
    decoded = decode_batch(payload)
    assert decoded.equals(table)
    assert decoded.schema == family_schema("call")


def test_a_body_written_before_the_frame_still_decodes(table: pa.Table) -> None:
    # A stream may hold batches published by the previous version when the worker is upgraded.
    assert decode_batch(_ipc(table, "lz4")).equals(table)


def test_a_corrupt_frame_is_an_arrow_error(table: pa.Table) -> None:
    payload = encode_batch(table)
    with pytest.raises(pa.ArrowInvalid, match="corrupt LZ4 frame"):
        decode_batch(payload[: len(payload) // 2])


def test_a_frame_that_would_unpack_too_large_or_does_not_say_is_refused(
    table: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsized = lz4.frame.compress(_ipc(table, None), store_size=False)
    with pytest.raises(pa.ArrowInvalid, match="declares 0 bytes"):
        decode_batch(unsized)
    monkeypatch.setattr(jetstream, "MAX_DECODED_BYTES", len(_ipc(table, None)) - 1)
    with pytest.raises(pa.ArrowInvalid, match="corrupt LZ4 frame: it declares"):
        decode_batch(encode_batch(table))


def test_a_batch_too_large_as_lz4_travels_zstd_compressed(
    table: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    lz4_size = len(_frame(table))
    monkeypatch.setattr(jetstream, "LZ4_MAX_BYTES", lz4_size - 1)
    payload = encode_batch(table)
    assert payload == _ipc(table, "zstd")
    assert len(payload) < lz4_size
    assert decode_batch(payload).equals(table)
    monkeypatch.setattr(jetstream, "LZ4_MAX_BYTES", lz4_size)
    assert encode_batch(table) == _frame(table)  # exactly at the limit: still lz4
    # Far too large for lz4 to bring under the limit: zstd without trying lz4 first.
    monkeypatch.setattr(jetstream, "LZ4_MAX_BYTES", table.nbytes // 8)
    assert encode_batch(table) == _ipc(table, "zstd")
