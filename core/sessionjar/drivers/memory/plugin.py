"""Registers the built-in ``memory://`` driver through the ``sessionjar_register_drivers`` hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionjar._registry import DriverInfo
from sessionjar.hookspecs import hookimpl
from sessionjar.storage import PROTOCOL_VERSION

if TYPE_CHECKING:
    from sessionjar.storage import AsyncStore, Store

__all__ = ["sessionjar_register_drivers"]


def _open_async(url: str, namespace: str) -> AsyncStore:
    from sessionjar.drivers.memory.store_async import AsyncMemoryStore

    return AsyncMemoryStore.from_url(url, namespace)


def _open_sync(url: str, namespace: str) -> Store:
    from sessionjar.drivers.memory.store import MemoryStore

    return MemoryStore.from_url(url, namespace)


@hookimpl
def sessionjar_register_drivers() -> list[DriverInfo]:
    """Describe the ``memory://`` driver."""
    return [
        DriverInfo(
            name="memory",
            schemes=("memory",),
            open_async=_open_async,
            open_sync=_open_sync,
            distribution="sessionjar",
            install_hint="pip install sessionjar",
            protocol_version=PROTOCOL_VERSION,
            # No "shared_namespace": it holds for memory://NAME but not for memory://, and
            # a capability must hold for every URL of the driver.
        )
    ]
