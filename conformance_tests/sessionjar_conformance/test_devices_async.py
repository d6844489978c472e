"""Conformance: the ``device`` of a session is stored like its data (async version).

Since storage protocol 4, a record carries ``device``, a JSON object core writes at
creation and on each refresh. A store keeps it as exactly as ``session_data``, replaces
it whole when a patch sets it, and never shares it with a caller.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Final

import pytest

from sessionjar import AsyncStore, JSONObject, SessionPatch
from sessionjar_conformance._helpers import MutableClock, new_record
from sessionjar_conformance._strategies import same_json
from sessionjar_conformance.test_serialization import EDGE_CASES

FIREFOX: Final[JSONObject] = {"user_agent": "Firefox 133 on Windows", "ip": "203.0.113.0"}
PHONE: Final[JSONObject] = {"user_agent": "Safari on iPhone", "ip": "2001:db8::", "n": [1, 2.5]}


def _scribble(value: JSONObject) -> None:
    """Mutate a device object in place, nested values too."""
    for item in value.values():
        if isinstance(item, list):
            item.append("scribbled")
    value["scribbled"] = True


class AsyncDeviceRoundTripTests:
    """`create`, `get`, `update` and `list_sessions_for_user` keep ``device`` exactly."""

    async def test_created_device_round_trips(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), device=FIREFOX)
        await store.create(record)
        assert await store.get(record.handle) == record

    async def test_record_without_device_reads_as_empty(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        assert got.device == {}

    @pytest.mark.parametrize("case", EDGE_CASES)
    async def test_device_json_is_exact(
        self, store: AsyncStore, clock: MutableClock, case: str
    ) -> None:
        record = new_record(clock(), device=EDGE_CASES[case])
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        assert same_json(got.device, EDGE_CASES[case])
        patch = SessionPatch(device=EDGE_CASES[case])
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated is not None
        assert same_json(updated.device, EDGE_CASES[case])

    async def test_patch_replaces_the_device_whole(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), device=FIREFOX)
        await store.create(record)
        patch = SessionPatch(device=PHONE)
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        expected = replace(record, device=PHONE, version=2)
        assert updated == expected
        assert await store.get(record.handle) == expected

    async def test_patch_without_device_keeps_it(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), device=FIREFOX)
        await store.create(record)
        patch = SessionPatch(session_data={"n": 1})
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated is not None
        assert updated.device == FIREFOX
        got = await store.get(record.handle)
        assert got is not None
        assert got.device == FIREFOX

    async def test_patch_can_empty_the_device(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), device=FIREFOX)
        await store.create(record)
        patch = SessionPatch(device={})
        assert await store.update(record.handle, patch, expected_version=1, now=clock())
        got = await store.get(record.handle)
        assert got is not None
        assert got.device == {}


class AsyncDeviceCopiesTests:
    """A device object passed in or handed out is a copy: mutating it changes nothing."""

    async def test_create_copies_the_device(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock(), device=copy.deepcopy(PHONE))
        await store.create(record)
        _scribble(record.device)
        assert await store.get(record.handle) == replace(record, device=PHONE)

    async def test_update_copies_the_patch_device(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(device=copy.deepcopy(PHONE))
        await store.update(record.handle, patch, expected_version=1, now=clock())
        assert patch.device is not None
        _scribble(patch.device)
        assert await store.get(record.handle) == replace(record, device=PHONE, version=2)

    async def test_returned_devices_are_copies(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        record = new_record(clock(), device=copy.deepcopy(PHONE))
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        _scribble(got.device)
        (listed,) = await store.list_sessions_for_user("public", "alice", now=clock())
        _scribble(listed.device)
        patch = SessionPatch(session_data={"n": 1})
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated is not None
        _scribble(updated.device)
        expected = replace(record, device=PHONE, session_data={"n": 1}, version=2)
        assert await store.get(record.handle) == expected


__all__ = ["AsyncDeviceRoundTripTests", "AsyncDeviceCopiesTests"]
