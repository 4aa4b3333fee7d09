"""The IRISX data directory as a Dagster resource (lake, dead letters, inbox, marts)."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from config import Settings
from ingest import DeadLetterStore
from warehouse import ParquetLake


class IrisxResource(ConfigurableResource):
    """Where this deployment keeps its data; everything else derives from ``config.Settings``."""

    data_dir: str

    def settings(self) -> Settings:
        return Settings(data_dir=Path(self.data_dir))

    def lake(self) -> ParquetLake:
        lake = ParquetLake(self.settings().lake_dir)
        lake.initialize()
        return lake

    def dead_letters(self) -> DeadLetterStore:
        return DeadLetterStore(self.settings().deadletter_dir)

    def export_for_dbt(self) -> None:
        """dbt's profile reads the data folder from IRISX_DATA_DIR; make it match this resource."""
        os.environ["IRISX_DATA_DIR"] = str(self.settings().data_dir)
