"""sessionjar-mongodb: the MongoDB storage driver of sessionjar.

Applications open stores by URL (``sessionjar.open_store("mongodb://…")``); the classes
are here for type annotations and direct use. Importing this package loads no pymongo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessionjar_mongodb.store import MongoStore
    from sessionjar_mongodb.store_async import AsyncMongoStore

__all__ = ["AsyncMongoStore", "MongoStore"]


def __getattr__(name: str) -> type:
    if name == "AsyncMongoStore":
        from sessionjar_mongodb.store_async import AsyncMongoStore

        return AsyncMongoStore
    if name == "MongoStore":
        from sessionjar_mongodb.store import MongoStore

        return MongoStore
    raise AttributeError(f"module 'sessionjar_mongodb' has no attribute {name!r}")
