"""Registers the ``mongodb://`` and ``mongodb+srv://`` driver with sessionjar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sessionjar import PROTOCOL_VERSION, DriverInfo, hookimpl

if TYPE_CHECKING:
    from sessionjar import AsyncStore, Store

__all__ = ["UNREACHABLE_URL", "sessionjar_register_drivers"]

UNREACHABLE_URL: Final = "mongodb://127.0.0.1:1/?timeoutMS=1000&connectTimeoutMS=500"
"""A URL where no server listens, answering within a second: for failure tests."""


def _open_async(url: str, namespace: str) -> AsyncStore:
    from sessionjar_mongodb.store_async import AsyncMongoStore

    return AsyncMongoStore.from_url(url, namespace=namespace)


def _open_sync(url: str, namespace: str) -> Store:
    from sessionjar_mongodb.store import MongoStore

    return MongoStore.from_url(url, namespace=namespace)


@hookimpl
def sessionjar_register_drivers() -> list[DriverInfo]:
    """Describe the MongoDB driver; pymongo is imported only when a store is opened."""
    return [
        DriverInfo(
            name="mongodb",
            schemes=("mongodb", "mongodb+srv"),
            open_async=_open_async,
            open_sync=_open_sync,
            distribution="sessionjar-mongodb",
            install_hint='pip install "sessionjar[mongodb]"',
            protocol_version=PROTOCOL_VERSION,
            capabilities=frozenset({"shared_namespace", "multi_process", "unreachable"}),
            unreachable_url=UNREACHABLE_URL,
        )
    ]
