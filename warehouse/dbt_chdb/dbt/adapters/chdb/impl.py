"""Credentials, client, connection manager and adapter of the ``chdb`` dbt plugin.

Each piece subclasses dbt-clickhouse's and changes only what chDB needs: a data folder
(``path``) instead of host/port, and a clickhouse-connect client of interface ``chdb``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import clickhouse_connect
from dbt.adapters.clickhouse.connections import ClickHouseConnectionManager
from dbt.adapters.clickhouse.credentials import ClickHouseCredentials
from dbt.adapters.clickhouse.dbclient import ChRetryableException
from dbt.adapters.clickhouse.httpclient import ChHttpClient
from dbt.adapters.clickhouse.impl import ClickHouseAdapter
from dbt.adapters.clickhouse.logger import logger
from dbt.adapters.contracts.connection import Connection
from dbt_common.exceptions import DbtRuntimeError

#: chDB locks ``<path>/status`` for one process; a second process fails fast while it is held.
#: Opening is retried this many times, one second apart, before dbt gives up.
LOCK_RETRY_LIMIT = 30


@dataclass
class ChdbCredentials(ClickHouseCredentials):
    """ClickHouse credentials plus ``path``: the chDB data folder (created when missing)."""

    path: str = ""

    @property
    def type(self) -> str:
        return "chdb"

    @property
    def unique_field(self) -> str:
        return self.path

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.path:
            raise DbtRuntimeError("chdb profile: `path` (the chDB data folder) is required")
        if self.cluster:
            raise DbtRuntimeError("chdb profile: `cluster` is not supported (chDB has no clusters)")

    def _connection_keys(self) -> tuple[str, ...]:
        return ("path", "schema", "retries", "custom_settings", "check_exchange", "use_lw_deletes")


class ChdbClient(ChHttpClient):
    """dbt-clickhouse's client wrapper over a clickhouse-connect client backed by chDB."""

    def _create_client(self, credentials: ChdbCredentials) -> Any:  # type: ignore[override]
        try:
            return clickhouse_connect.get_client(
                interface="chdb",
                path=credentials.path,
                settings=self._conn_settings,
            )
        except Exception as ex:
            # Most likely another process holds the folder lock: let dbt retry the open.
            raise ChRetryableException(f"chdb: cannot open {credentials.path!r}: {ex}") from ex

    def close(self) -> None:
        self._client.close()


class ChdbConnectionManager(ClickHouseConnectionManager):
    TYPE = "chdb"

    @classmethod
    def open(cls, connection: Connection) -> Connection:
        if connection.state == "open":
            return connection
        credentials = connection.credentials

        def connect() -> ChdbClient:
            return ChdbClient(credentials)  # type: ignore[arg-type]

        return cls.retry_connection(
            connection,
            connect=connect,
            logger=logger,
            retry_limit=max(credentials.retries, LOCK_RETRY_LIMIT),  # type: ignore[attr-defined]
            retryable_exceptions=[ChRetryableException],
        )


class ChdbAdapter(ClickHouseAdapter):
    ConnectionManager = ChdbConnectionManager  # type: ignore[assignment]
