"""Conformance: real network faults between a store and its server (async version).

A network driver enables these tests by providing the ``proxied_backend`` fixture: where
its server listens, how to open a store that reaches it through a
`sessionjar_conformance.faultproxy.FaultProxy`, and the store's configured bound on one
call. Without it, every test here is skipped with a reason.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Final

import pytest

from sessionjar import AsyncSessionManager, AsyncStore, SessionPatch, StorageUnavailable
from sessionjar_conformance._acompat import afixture
from sessionjar_conformance._helpers import FAR_FUTURE, MutableClock, new_handle, new_record
from sessionjar_conformance.faultproxy import FaultProxy
from sessionjar_conformance.test_faults_async import PROTOCOL_CALLS

__all__ = ["AsyncProxiedBackend", "AsyncNetworkFaultTests"]

RESETS: Final = ["reset_before_reply", "reset_mid_reply"]
"""The `FaultProxy` faults that cut a write's reply after the server applied it."""
_TIMES: Final = {"once": 1, "until_healed": None}


@dataclass(frozen=True)
class AsyncProxiedBackend:
    """What a network driver's test class gives the network fault tests (async version).

    ``open_store`` does no I/O, and its store reaches every upstream at
    `FaultProxy.address_of` that upstream.
    """

    upstreams: tuple[tuple[str, int], ...]
    """The ``(host, port)`` of every server node the driver's stores talk to."""
    open_store: Callable[[FaultProxy, str], AsyncStore]
    """``open_store(proxy, namespace)``: a new store reaching its server through ``proxy``."""
    bound: float
    """The configured bound on one call of those stores, in seconds."""


async def _outcome(call: Callable[[], Any]) -> Any:
    """Return what ``call`` returns, or `StorageUnavailable` if it raised that."""
    try:
        return await call()
    except StorageUnavailable:
        return StorageUnavailable


class AsyncNetworkFaultTests:
    """Black holes, slow links and resets after a write was applied, through a real proxy.

    Under a black hole every call fails with `StorageUnavailable` within the bound plus
    one second. After a reset that cut the reply of an applied write, the caller gets the
    true result or `StorageUnavailable`, never a wrong answer. Once the proxy heals, the
    same store object works again.
    """

    @pytest.fixture
    def proxied_backend(self) -> AsyncProxiedBackend | None:
        """The driver's `AsyncProxiedBackend`; a network driver's test class overrides this."""
        return None

    @pytest.fixture
    def fault_proxy(self, proxied_backend: AsyncProxiedBackend | None) -> Iterator[FaultProxy]:
        """A fault proxy in front of the driver's server, closed after the test."""
        if proxied_backend is None:
            pytest.skip("the driver's test class provides no `proxied_backend` fixture")
        with FaultProxy(*proxied_backend.upstreams) as proxy:
            yield proxy

    @afixture
    async def proxied_store(
        self, proxied_backend: AsyncProxiedBackend, fault_proxy: FaultProxy, namespace: str
    ) -> AsyncIterator[AsyncStore]:
        """A store through the proxy, connected already; emptied and closed after the test."""
        store = proxied_backend.open_store(fault_proxy, namespace)
        try:
            await store.list_signing_keys()  # connect before the test arms a fault
            yield store
            fault_proxy.heal()
            await store.delete_expired(now=FAR_FUTURE)
        finally:
            await store.close()

    @pytest.mark.parametrize("method", PROTOCOL_CALLS)
    async def test_black_hole_fails_every_call_in_time(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        proxied_backend: AsyncProxiedBackend,
        method: str,
    ) -> None:
        fault_proxy.black_hole()
        await self._fails_in_time(lambda: PROTOCOL_CALLS[method](proxied_store), proxied_backend)

    async def test_black_hole_fails_a_new_connection_in_time(
        self, fault_proxy: FaultProxy, proxied_backend: AsyncProxiedBackend, namespace: str
    ) -> None:
        store = proxied_backend.open_store(fault_proxy, namespace)
        try:
            fault_proxy.black_hole()
            await self._fails_in_time(lambda: store.get(new_handle()), proxied_backend)
        finally:
            await store.close()

    async def test_latency_beyond_the_bound_fails_in_time(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        proxied_backend: AsyncProxiedBackend,
    ) -> None:
        fault_proxy.add_latency(proxied_backend.bound + 2)
        await self._fails_in_time(lambda: proxied_store.get(new_handle()), proxied_backend)

    async def test_latency_within_the_bound_is_tolerated(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        proxied_backend: AsyncProxiedBackend,
        clock: MutableClock,
    ) -> None:
        fault_proxy.add_latency(proxied_backend.bound / 10)
        record = new_record(clock())
        await proxied_store.create(record)
        assert await proxied_store.get(record.handle) == record

    async def test_the_same_store_recovers_after_healing(
        self, proxied_store: AsyncStore, fault_proxy: FaultProxy, clock: MutableClock
    ) -> None:
        fault_proxy.black_hole()
        with pytest.raises(StorageUnavailable):
            await proxied_store.get(new_handle())
        fault_proxy.heal()
        record = new_record(clock())
        await proxied_store.create(record)
        assert await proxied_store.get(record.handle) == record

    @pytest.mark.parametrize("times", _TIMES)
    @pytest.mark.parametrize("fault", RESETS)
    async def test_create_after_a_reset_is_true_or_unavailable(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        clock: MutableClock,
        fault: str,
        times: str,
    ) -> None:
        record = new_record(clock())
        getattr(fault_proxy, fault)(times=_TIMES[times])
        outcome = await _outcome(lambda: proxied_store.create(record))
        fault_proxy.heal()
        assert fault_proxy.resets >= 1, "the fault never fired"
        stored = await proxied_store.get(record.handle)
        if outcome is StorageUnavailable:
            assert stored in (record, None)
        else:
            assert outcome is None
            assert stored == record

    @pytest.mark.parametrize("conditional", [False, True], ids=["blind", "compare_and_set"])
    @pytest.mark.parametrize("times", _TIMES)
    @pytest.mark.parametrize("fault", RESETS)
    async def test_update_after_a_reset_is_true_or_unavailable(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        clock: MutableClock,
        fault: str,
        times: str,
        conditional: bool,
    ) -> None:
        record = new_record(clock())
        await proxied_store.create(record)
        applied = replace(record, version=2, session_data={"n": 1})
        expected = record.version if conditional else None
        getattr(fault_proxy, fault)(times=_TIMES[times])
        outcome = await _outcome(
            lambda: proxied_store.update(
                record.handle,
                SessionPatch(session_data={"n": 1}),
                expected_version=expected,
                now=clock(),
            )
        )
        fault_proxy.heal()
        assert fault_proxy.resets >= 1, "the fault never fired"
        stored = await proxied_store.get(record.handle)
        if outcome is StorageUnavailable:
            assert stored in (record, applied)  # applied once at most
        else:
            assert outcome == applied
            assert stored == applied

    @pytest.mark.parametrize("times", _TIMES)
    @pytest.mark.parametrize("fault", RESETS)
    async def test_revoke_after_a_reset_is_true_or_unavailable(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        clock: MutableClock,
        fault: str,
        times: str,
    ) -> None:
        record = new_record(clock())
        await proxied_store.create(record)
        getattr(fault_proxy, fault)(times=_TIMES[times])
        outcome = await _outcome(lambda: proxied_store.delete([record.handle]))
        fault_proxy.heal()
        assert fault_proxy.resets >= 1, "the fault never fired"
        stored = await proxied_store.get(record.handle)
        if outcome is StorageUnavailable:
            assert stored in (record, None)
        else:
            assert outcome == [record.handle]
            assert stored is None

    @pytest.mark.parametrize("times", _TIMES)
    @pytest.mark.parametrize("fault", RESETS)
    async def test_rotation_after_a_reset_then_a_retry_get_one_child(
        self,
        proxied_store: AsyncStore,
        fault_proxy: FaultProxy,
        open_manager: Callable[[AsyncStore], AsyncSessionManager],
        fault: str,
        times: str,
    ) -> None:
        manager = open_manager(proxied_store)
        await manager.load_keys()
        session = await manager.create_session("alice")
        parent = session.refresh_token
        assert parent is not None
        getattr(fault_proxy, fault)(times=_TIMES[times])
        first = await _outcome(lambda: manager.refresh_session(parent))
        fault_proxy.heal()
        assert fault_proxy.resets >= 1, "the fault never fired"
        # The caller never saw tokens, or lost them with the response: it retries the
        # parent within the grace window and must get the same child, not theft.
        retry = await manager.refresh_session(parent)
        if first is not StorageUnavailable:
            assert first.refresh_token == retry.refresh_token
        assert retry.refresh_token is not None
        grandchild = await manager.refresh_session(retry.refresh_token)
        assert grandchild.handle == session.handle

    async def _fails_in_time(self, call: Callable[[], Any], backend: AsyncProxiedBackend) -> None:
        started = time.monotonic()
        outcome = await _outcome(call)
        elapsed = time.monotonic() - started
        assert outcome is StorageUnavailable, f"answered {outcome!r} through a dead link"
        assert elapsed <= backend.bound + 1, f"took {elapsed:.1f} s, bound {backend.bound} s"
