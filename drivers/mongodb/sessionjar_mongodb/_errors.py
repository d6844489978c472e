"""Translation of pymongo's exceptions into sessionjar's, shared by both flavours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from bson.errors import BSONError, InvalidDocument
from pymongo.errors import OperationFailure, PyMongoError

from sessionjar import SerializationError, StorageUnavailable

__all__ = ["translated"]

# The server refused a document over its size limit (16 MiB on MongoDB); nothing changed.
_TOO_LARGE: Final = frozenset({10334, 17419})


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Raise sessionjar's errors for pymongo's in the block, ``from`` them.

    Args:
        action: what the block does, for the message ("update a session", say).

    Raises:
        SerializationError: a value cannot be encoded as BSON, or would make a
            document larger than the server holds (nothing was written).
        StorageUnavailable: for every other client error: server selection
            timeout, network error, write-concern error, server error, closed client,
            undecodable reply.
    """
    try:
        yield
    except InvalidDocument as exc:  # raised while encoding, before anything is sent
        raise SerializationError(f"MongoDB cannot store the value: {exc}") from exc
    except OperationFailure as exc:
        if exc.code in _TOO_LARGE:
            raise SerializationError(f"MongoDB cannot store the value: {exc}") from exc
        raise StorageUnavailable(f"MongoDB failed to {action}: {exc}") from exc
    except (PyMongoError, BSONError) as exc:
        raise StorageUnavailable(f"MongoDB failed to {action}: {exc}") from exc
