"""Registers the PostgreSQL driver through the ``sessionjar_register_drivers`` hook.

Importing this module does not import psycopg: the factories do, when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sessionjar import DriverInfo, hookimpl
from sessionjar.storage import PROTOCOL_VERSION

if TYPE_CHECKING:
    from sessionjar.storage import AsyncStore, Store

__all__ = ["sessionjar_register_drivers", "UNREACHABLE_URL"]

UNREACHABLE_URL: Final = (
    "postgresql://sessionjar@127.0.0.1:1/sessionjar?connect_timeout=1&timeout=1"
)
"""A URL where no server listens, with short timeouts, for failure tests."""


def _open_async(url: str, namespace: str) -> AsyncStore:
    from sessionjar_postgres.store_async import AsyncPostgresStore

    return AsyncPostgresStore.from_url(url, namespace=namespace)


def _open_sync(url: str, namespace: str) -> Store:
    from sessionjar_postgres.store import PostgresStore

    return PostgresStore.from_url(url, namespace=namespace)


@hookimpl
def sessionjar_register_drivers() -> list[DriverInfo]:
    """Describe the ``postgresql://`` (and ``postgres://``) driver."""
    return [
        DriverInfo(
            name="postgres",
            schemes=("postgresql", "postgres"),
            open_async=_open_async,
            open_sync=_open_sync,
            distribution="sessionjar-postgres",
            install_hint='pip install "sessionjar[postgres]"',
            protocol_version=PROTOCOL_VERSION,
            capabilities=frozenset({"shared_namespace", "multi_process", "unreachable"}),
            unreachable_url=UNREACHABLE_URL,
        )
    ]
