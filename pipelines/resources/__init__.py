"""Dagster resources: one per connection or store, chosen from the IRISX settings."""

from pipelines.resources.irisx import IrisxResource
from pipelines.resources.warehouse import WarehouseResource

__all__ = ["IrisxResource", "WarehouseResource"]
