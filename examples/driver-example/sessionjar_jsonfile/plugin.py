"""Registers the ``jsonfile://`` driver through the ``sessionjar_register_drivers`` hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionjar import PROTOCOL_VERSION, DriverInfo, hookimpl

if TYPE_CHECKING:
    from sessionjar import AsyncStore, Store

__all__ = ["sessionjar_register_drivers"]


def _open_sync(url: str, namespace: str) -> Store:
    from sessionjar_jsonfile.store import JsonFileStore

    return JsonFileStore.from_url(url, namespace)


def _open_async(url: str, namespace: str) -> AsyncStore:
    from sessionjar import AsyncStoreAdapter

    # File I/O has no asyncio flavour: run the sync store in worker threads.
    return AsyncStoreAdapter(_open_sync(url, namespace))


@hookimpl
def sessionjar_register_drivers() -> list[DriverInfo]:
    """Describe the ``jsonfile://`` driver."""
    return [
        DriverInfo(
            name="jsonfile",
            schemes=("jsonfile",),
            open_async=_open_async,
            open_sync=_open_sync,
            distribution="sessionjar-jsonfile",
            install_hint="pip install sessionjar-jsonfile",
            protocol_version=PROTOCOL_VERSION,
            capabilities=frozenset({"shared_namespace", "multi_process", "unreachable"}),
            unreachable_url="jsonfile:///proc/sessionjar-unreachable",
        )
    ]
