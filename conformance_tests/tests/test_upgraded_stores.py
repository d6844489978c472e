"""The whole suite on a protocol-3 store seen through core's `upgraded`.

It shows what an older driver keeps under protocol 4 and, as strict expected failures,
exactly what it cannot do: store devices, delete in batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Final

import pytest

from sessionjar import AsyncStore
from sessionjar._legacy_async import upgraded
from sessionjar.drivers.memory import AsyncMemoryStore
from sessionjar_conformance import AsyncStoreConformance, AsyncStoreFactory

_PROTOCOL_3: Final = frozenset(
    {
        "create",
        "get",
        "is_live",
        "update",
        "delete",
        "delete_for_user",
        "list_for_user",
        "add_signing_key",
        "list_signing_keys",
        "close",
    }
)
_NO_DEVICE: Final = "a protocol-3 store keeps no device: upgraded() reports it as {}"
_NO_LIMIT: Final = "a protocol-3 store has no limit: upgraded() deletes every expired record"


class Protocol3Store:
    """A memory store offering only what a protocol-3 driver has."""

    protocol_version = 3

    def __init__(self, namespace: str) -> None:
        self._store = AsyncMemoryStore.from_url("memory://conformance-upgraded", namespace)

    def __getattr__(self, name: str) -> Any:
        if name not in _PROTOCOL_3:
            raise AttributeError(name)
        return getattr(self._store, name)

    async def delete_expired(self, *, now: datetime) -> int:
        """Delete every expired record and key: protocol 3 has no ``limit``."""
        return await self._store.delete_expired(now=now)


def open_upgraded(namespace: str) -> AsyncStore:
    """A protocol-3 store behind the protocol-4 surface, as a manager sees it."""
    return upgraded(Protocol3Store(namespace))  # type: ignore[arg-type]


class TestUpgradedProtocol3Async(AsyncStoreConformance):
    capabilities = frozenset({"shared_namespace"})
    known_failures: ClassVar[Mapping[str, str]] = {
        "test_created_device_round_trips": _NO_DEVICE,
        "test_device_json_is_exact": _NO_DEVICE,
        "test_patch_replaces_the_device_whole": _NO_DEVICE,
        "test_patch_without_device_keeps_it": _NO_DEVICE,
        "test_create_copies_the_device": _NO_DEVICE,
        "test_update_copies_the_patch_device": _NO_DEVICE,
        "test_returned_devices_are_copies": _NO_DEVICE,
        "test_deletes_at_most_the_limit": _NO_LIMIT,
        "test_repeated_calls_drain_every_expired_record": _NO_LIMIT,
        "test_expired_signing_keys_go_in_a_limited_call": _NO_LIMIT,
    }

    @pytest.fixture
    def make_store(self) -> AsyncStoreFactory:
        return open_upgraded
