"""Fast construction of identifier strings (UUIDs, zero-padded ids) straight into Arrow arrays."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
# Positions of the 32 hex digits inside the 36-character canonical UUID text.
_UUID_HEX_POS = np.array(
    [*range(0, 8), *range(9, 13), *range(14, 18), *range(19, 23), *range(24, 36)], dtype=np.int64
)
_UUID_DASH_POS = np.array([8, 13, 18, 23], dtype=np.int64)


def fixed_width_strings(chars: np.ndarray) -> pa.StringArray:
    """An ``(n, width)`` uint8 matrix of ASCII bytes as an Arrow string array."""
    rows, width = chars.shape
    data = np.ascontiguousarray(chars, dtype=np.uint8).reshape(-1)
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )


def uuid4_strings(rng: np.random.Generator, count: int) -> pa.StringArray:
    """``count`` random version-4 UUIDs in canonical text form, drawn from ``rng``."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = np.empty((count, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.empty((count, 36), dtype=np.uint8)
    text[:, _UUID_HEX_POS] = digits
    text[:, _UUID_DASH_POS] = ord("-")
    return fixed_width_strings(text)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an ``(n, width)`` ASCII matrix."""
    values = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)


def prefixed_numbers(prefix: str, values: np.ndarray, width: int) -> pa.StringArray:
    """Strings ``prefix + zero-padded value``, e.g. ``+44`` + 10 digits."""
    values = np.asarray(values, dtype=np.int64)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars = np.empty((len(values), len(head) + width), dtype=np.uint8)
    chars[:, : len(head)] = head
    chars[:, len(head) :] = digit_matrix(values, width)
    return fixed_width_strings(chars)


def codes_to_strings(categories: list[str] | tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """Category labels for integer codes; negative codes become nulls."""
    codes = np.asarray(codes, dtype=np.int64)
    labels = pa.array(list(categories), type=pa.string())
    if len(labels) == 0:
        return pa.nulls(len(codes), type=pa.string())
    missing = codes < 0
    indices = pa.array(np.where(missing, 0, codes), mask=missing if missing.any() else None)
    return labels.take(indices)
