"""Which failures of pymongo mean the store is unavailable, and their translation."""

from __future__ import annotations

from types import TracebackType
from typing import Final

from bson.errors import BSONError, InvalidDocument
from pymongo.errors import OperationFailure, PyMongoError

from sessionjar import SerializationError, StorageUnavailable

__all__ = ["Translated"]

# The server refused a document over its size limit (16 MiB on MongoDB); nothing changed.
_TOO_LARGE: Final = frozenset({10334, 17419})


class Translated:
    """Raises sessionjar's errors from pymongo's inside ``with``, ``from`` them.

    `SerializationError` when a value cannot be encoded as BSON or would make a document
    larger than the server holds (nothing was written); `StorageUnavailable` for every
    other client error: a timeout, a network error, a write-concern error, a server error,
    a closed client, an undecodable reply. A class rather than a generator-based context
    manager: it is on every request path, and costs a quarter as much.
    """

    __slots__ = ("_what",)

    def __init__(self, what: str) -> None:
        self._what = what

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None or not isinstance(exc, PyMongoError | BSONError):
            return
        too_large = isinstance(exc, OperationFailure) and exc.code in _TOO_LARGE
        if too_large or isinstance(exc, InvalidDocument):  # InvalidDocument: before sending
            raise SerializationError(f"MongoDB cannot store the value: {exc}") from exc
        raise StorageUnavailable(f"MongoDB failed to {self._what}: {exc}") from exc
