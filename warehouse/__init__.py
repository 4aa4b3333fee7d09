"""Storage layer: the embedded Parquet lake, published marts, and (later) server warehouses."""

from warehouse.atomic import write_bytes_atomic, write_parquet_atomic
from warehouse.lake import ParquetLake
from warehouse.marts import (
    ClickHouseMartReader,
    DateRange,
    MartNotPublished,
    MartReader,
    MartReadError,
    MartsUnavailable,
    ParquetMartReader,
    mart_reader_for,
)

__all__ = [
    "ClickHouseMartReader",
    "DateRange",
    "MartNotPublished",
    "MartReadError",
    "MartReader",
    "MartsUnavailable",
    "ParquetLake",
    "ParquetMartReader",
    "mart_reader_for",
    "write_bytes_atomic",
    "write_parquet_atomic",
]
