"""Which failures of psycopg mean the store is unavailable, and their translation."""

from __future__ import annotations

from types import TracebackType

import psycopg
from psycopg_pool import PoolTimeout

from sessionjar.errors import StorageUnavailable
from sessionjar_postgres._options import PostgresOptions

__all__ = ["Translated"]


class Translated:
    """Raises `StorageUnavailable` from a failure of PostgreSQL inside ``with``.

    Every psycopg error is one: the server down or gone, a call past its ``timeout``, a
    statement the server aborted (deadlock, serialization failure, a constraint that
    refuses a tampered row). A class rather than a generator-based context manager: it is
    on every request path, and costs a quarter as much.
    """

    __slots__ = ("_options", "_what")

    def __init__(self, options: PostgresOptions, what: str) -> None:
        self._options = options
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, PoolTimeout):
            raise StorageUnavailable(
                f"PostgreSQL at {self._options.where} failed to {self._what}: no connection"
                f" within the call's timeout ({self._options.timeout:g} s)"
            ) from exc
        if isinstance(exc, psycopg.Error):
            where = self._options.where
            raise StorageUnavailable(
                f"PostgreSQL at {where} failed to {self._what}: {exc}"
            ) from exc
