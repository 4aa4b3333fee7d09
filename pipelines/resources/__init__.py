"""Dagster resources: one per connection or store, chosen from the IRISX settings."""

from pipelines.resources.irisx import IrisxResource

__all__ = ["IrisxResource"]
