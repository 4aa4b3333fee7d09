"""Storage layer: the embedded Parquet lake, published marts, and (later) server warehouses."""

from warehouse.atomic import write_bytes_atomic, write_parquet_atomic
from warehouse.lake import ParquetLake

__all__ = ["ParquetLake", "write_bytes_atomic", "write_parquet_atomic"]
