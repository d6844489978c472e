"""Which failures of redis-py mean the store is unavailable, their translation, and the
deadline of each call."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Final

from redis.exceptions import ClusterDownError, RedisClusterException, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError

from sessionjar.errors import StorageUnavailable
from sessionjar_redis._url import RedisOptions

__all__ = ["NOT_RUN", "DROPPED", "Translated"]

_FAILURES: Final = (RedisError, RedisClusterException, OSError, UnicodeDecodeError)

NOT_RUN: Final = (ClusterDownError, TryAgainError)
"""Refusals that prove the server did not run the command: any call may send it again."""

DROPPED: Final = (RedisConnectionError, *NOT_RUN)
"""Failures after which a read may be sent again. A write never is after a lost
connection: the server may have applied it before the connection broke."""


class Translated:
    """Raises `StorageUnavailable` from a failure of Redis inside ``with``.

    ``async with`` also bounds the block by the store's ``timeout``, connecting included.
    A class rather than a generator-based context manager: it is on every request path,
    and costs a quarter as much.
    """

    __slots__ = ("_deadline", "_options", "_what")

    def __init__(self, options: RedisOptions, what: str) -> None:
        self._options = options
        self._what = what
        self._deadline: asyncio.Timeout | None = None

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, _FAILURES):
            where = self._options.describe()
            raise StorageUnavailable(f"Redis at {where} failed to {self._what}: {exc}") from exc

    async def __aenter__(self) -> None:
        self._deadline = asyncio.timeout(self._options.timeout)
        await self._deadline.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._deadline is not None
        try:
            await self._deadline.__aexit__(kind, exc, tb)
        except TimeoutError as late:
            where, limit = self._options.describe(), self._options.timeout
            raise StorageUnavailable(
                f"Redis at {where} did not {self._what} within {limit:g} s"
            ) from late
        self.__exit__(kind, exc, tb)
