"""dbt's include path of the chdb adapter (dbt-clickhouse's macros come as a dependency)."""

import os

PACKAGE_PATH = os.path.dirname(__file__)
