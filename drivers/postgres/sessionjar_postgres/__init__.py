"""sessionjar-postgres: the PostgreSQL storage driver of sessionjar (psycopg 3, pooled).

Stores are usually opened by URL (``sessionjar.open_store("postgresql://...")``); the
classes are exported for type hints and direct use. psycopg is imported only when one
of them is first used, so that registering the driver stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sessionjar_postgres.store import PostgresStore as PostgresStore
    from sessionjar_postgres.store_async import AsyncPostgresStore as AsyncPostgresStore

__all__ = ["AsyncPostgresStore", "PostgresStore"]


def __getattr__(name: str) -> Any:
    if name == "AsyncPostgresStore":
        from sessionjar_postgres.store_async import AsyncPostgresStore

        return AsyncPostgresStore
    if name == "PostgresStore":
        from sessionjar_postgres.store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'sessionjar_postgres' has no attribute {name!r}")
