"""Conformance: a store keeps its own copies of what it is given and gives (async version).

Mutating a record, patch or key after passing it to the store, or after getting it
back, never changes what the store holds.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from sessionjar import AsyncStore, JSONObject, SessionPatch
from sessionjar_conformance._helpers import MutableClock, new_record, new_signing_key


def _nested() -> JSONObject:
    return {"cart": [1, {"sku": "a"}], "prefs": {"theme": "dark"}}


def _scribble(value: object) -> None:
    """Mutate every list and object nested in ``value`` in place."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")


class AsyncCopiesInTests:
    """What a caller passed in and mutates afterwards leaves the store unchanged."""

    async def test_create_copies_the_record(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock(), access_payload=_nested(), session_data=_nested())
        expected = copy.deepcopy(record)
        await store.create(record)
        _scribble(record.access_payload)
        _scribble(record.session_data)
        assert await store.get(record.handle) == expected

    async def test_update_copies_the_patch(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(access_payload=_nested(), session_data=_nested())
        await store.update(record.handle, patch, expected_version=1, now=clock())
        _scribble(patch.access_payload)
        _scribble(patch.session_data)
        expected = replace(record, access_payload=_nested(), session_data=_nested(), version=2)
        assert await store.get(record.handle) == expected

    async def test_add_signing_key_copies_the_key(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        key = new_signing_key(clock())
        expected = copy.deepcopy(key)
        await store.add_signing_key(key)
        _scribble(key.private_jwk)
        assert await store.list_signing_keys() == [expected]


class AsyncCopiesOutTests:
    """What a caller got back and mutates leaves the store unchanged."""

    async def test_get_returns_a_copy(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock(), access_payload=_nested(), session_data=_nested())
        await store.create(record)
        got = await store.get(record.handle)
        assert got is not None
        _scribble(got.access_payload)
        _scribble(got.session_data)
        assert await store.get(record.handle) == record

    async def test_update_returns_a_copy(self, store: AsyncStore, clock: MutableClock) -> None:
        record = new_record(clock())
        await store.create(record)
        patch = SessionPatch(access_payload=_nested(), session_data=_nested())
        updated = await store.update(record.handle, patch, expected_version=1, now=clock())
        assert updated is not None
        expected = copy.deepcopy(updated)
        _scribble(updated.access_payload)
        _scribble(updated.session_data)
        assert await store.get(record.handle) == expected

    async def test_list_signing_keys_returns_copies(
        self, store: AsyncStore, clock: MutableClock
    ) -> None:
        key = new_signing_key(clock())
        await store.add_signing_key(key)
        (listed,) = await store.list_signing_keys()
        _scribble(listed.private_jwk)
        assert await store.list_signing_keys() == [key]


__all__ = ["AsyncCopiesInTests", "AsyncCopiesOutTests"]
