"""``raw_store``: the raw tables (migrated) of a chDB of the test's own
(tests/revenue/raw_tables.py)."""

from tests.revenue.raw_tables import raw_store  # noqa: F401
