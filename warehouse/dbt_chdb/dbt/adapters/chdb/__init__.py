"""dbt adapter plugin ``chdb``: dbt-clickhouse with the in-process chDB engine as its database.

Depending on the ``clickhouse`` plugin makes dbt load dbt-clickhouse's macros and
materializations and dispatch ``chdb__`` -> ``clickhouse__`` -> ``default__``.
"""

from dbt.adapters.base import AdapterPlugin
from dbt.adapters.chdb.impl import (
    ChdbAdapter,
    ChdbClient,
    ChdbConnectionManager,
    ChdbCredentials,
)
from dbt.include import chdb

__all__ = ["ChdbAdapter", "ChdbClient", "ChdbConnectionManager", "ChdbCredentials", "Plugin"]

Plugin = AdapterPlugin(
    adapter=ChdbAdapter,  # type: ignore[arg-type]
    credentials=ChdbCredentials,
    include_path=chdb.PACKAGE_PATH,
    dependencies=["clickhouse"],
)
