"""Registers the built-in ``sqlite://`` driver through the ``sessionjar_register_drivers`` hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionjar._registry import DriverInfo
from sessionjar.hookspecs import hookimpl
from sessionjar.storage import PROTOCOL_VERSION

if TYPE_CHECKING:
    from sessionjar.storage import AsyncStore, Store

__all__ = ["sessionjar_register_drivers"]


def _open_sync(url: str, namespace: str) -> Store:
    from sessionjar.drivers.sqlite.store import SqliteStore

    return SqliteStore.from_url(url, namespace)


def _open_async(url: str, namespace: str) -> AsyncStore:
    from sessionjar.adapter import AsyncStoreAdapter

    # sqlite3 has no async flavour: each call runs in a worker thread.
    return AsyncStoreAdapter(_open_sync(url, namespace))


@hookimpl
def sessionjar_register_drivers() -> list[DriverInfo]:
    """Describe the ``sqlite://`` driver."""
    return [
        DriverInfo(
            name="sqlite",
            schemes=("sqlite",),
            open_async=_open_async,
            open_sync=_open_sync,
            distribution="sessionjar",
            install_hint="pip install sessionjar",
            protocol_version=PROTOCOL_VERSION,
            capabilities=frozenset({"shared_namespace", "multi_process", "unreachable"}),
            unreachable_url="sqlite:////proc/nonexistent/sessionjar.db",
        )
    ]
