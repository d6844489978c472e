"""Which failures of redis-py mean the store is unavailable, and their translation."""

from __future__ import annotations

from types import TracebackType
from typing import Final

from redis.exceptions import RedisClusterException, RedisError

from sessionjar.errors import StorageUnavailable
from sessionjar_redis._url import RedisOptions

__all__ = ["Translated"]

_FAILURES: Final = (RedisError, RedisClusterException, OSError, UnicodeDecodeError)


class Translated:
    """Raises `StorageUnavailable` from a failure of Redis inside ``with``.

    A class rather than a generator-based context manager: it is on every request path,
    and costs a quarter as much.
    """

    __slots__ = ("_options", "_what")

    def __init__(self, options: RedisOptions, what: str) -> None:
        self._options = options
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, _FAILURES):
            where = self._options.describe()
            raise StorageUnavailable(f"Redis at {where} failed to {self._what}: {exc}") from exc
