"""Storage layer: the embedded Parquet lake, published marts, and (later) server warehouses."""

from warehouse.atomic import write_bytes_atomic, write_parquet_atomic
from warehouse.lake import ParquetLake
from warehouse.marts import DateRange, MartNotPublished, MartReader, MartReadError

__all__ = [
    "DateRange",
    "MartNotPublished",
    "MartReadError",
    "MartReader",
    "ParquetLake",
    "write_bytes_atomic",
    "write_parquet_atomic",
]
