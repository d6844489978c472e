"""The fixtures every conformance test class stands on (async version)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import timedelta
from typing import ClassVar, Final, TypeAlias

import pytest

from sessionjar import AsyncSessionManager, AsyncStore
from sessionjar_conformance._acompat import afixture
from sessionjar_conformance._helpers import FAR_FUTURE, MutableClock, new_namespace
from sessionjar_conformance.capabilities import Capabilities, required_by, skip_reason

__all__ = [
    "ACCESS_VALIDITY",
    "REFRESH_VALIDITY",
    "ABSOLUTE_LIFETIME",
    "GRACE_WINDOW",
    "AsyncStoreFactory",
    "AsyncConformanceBase",
]

ACCESS_VALIDITY: Final = timedelta(minutes=15)
"""Access-token lifetime of the suite's managers."""
REFRESH_VALIDITY: Final = timedelta(hours=1)
"""Sliding session lifetime of the suite's managers."""
ABSOLUTE_LIFETIME: Final = timedelta(hours=8)
"""Absolute session lifetime of the suite's managers."""
GRACE_WINDOW: Final = timedelta(seconds=30)
"""Grace window of the previous refresh token in the suite's managers."""

AsyncStoreFactory: TypeAlias = Callable[[str], AsyncStore]
"""``make_store(namespace)`` → a new store on the driver's backend; does no I/O."""


class AsyncConformanceBase:
    """Fixtures of the conformance suite (async version).

    A driver's test class provides ``make_store`` (and, with the ``unreachable``
    capability, ``unreachable_store``), declares its ``capabilities`` and may list
    ``known_failures``; see the package README.
    """

    sessionjar_conformance: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[str]] = frozenset()
    """Names of the capabilities the driver has (see `Capabilities`)."""
    known_failures: ClassVar[Mapping[str, str]] = {}
    """Test method name → reason, for tests the driver is known to fail (strict xfail)."""

    if True:
        # ASYNC
        pytestmark = [pytest.mark.asyncio]

    @pytest.fixture
    def make_store(self) -> AsyncStoreFactory:
        """The driver's store factory; a driver's test class must override this fixture."""
        pytest.fail(f"{type(self).__name__} must define the `make_store` fixture")

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory | None:
        """A factory of stores pointed where nothing listens, or `None`."""
        return None

    @pytest.fixture
    def driver_capabilities(self) -> Capabilities:
        """The capabilities the driver declares."""
        return Capabilities(self.capabilities)

    @pytest.fixture(autouse=True)
    def _sessionjar_requirements(
        self, request: pytest.FixtureRequest, driver_capabilities: Capabilities
    ) -> None:
        unknown = [name for name in sorted(self.known_failures) if not hasattr(self, name)]
        if unknown:
            # a misspelt name would leave its test unmarked and the driver's failure hidden
            pytest.fail(f"known_failures names no test of {type(self).__name__}: {unknown}")
        missing = driver_capabilities.missing(required_by(request.function))
        if missing:
            pytest.skip(skip_reason(missing[0]))
        reason = self.known_failures.get(request.function.__name__)
        if reason is not None:
            request.applymarker(pytest.mark.xfail(reason=reason, strict=True))

    @pytest.fixture
    def namespace(self) -> str:
        """A namespace no other test uses."""
        return new_namespace()

    @pytest.fixture
    def clock(self) -> MutableClock:
        """The test's clock: starts at the real time and moves only when told."""
        return MutableClock()

    @afixture
    async def open_store(self, make_store: AsyncStoreFactory) -> AsyncIterator[AsyncStoreFactory]:
        """Open extra stores; each is emptied and closed after the test."""
        opened: list[AsyncStore] = []

        def open_one(namespace: str) -> AsyncStore:
            opened.append(make_store(namespace))
            return opened[-1]

        yield open_one
        for store in opened:
            try:
                # delete_expired at a far-future time empties the namespace on shared servers.
                await store.delete_expired(now=FAR_FUTURE)
            finally:
                await store.close()

    @pytest.fixture
    def store(self, open_store: AsyncStoreFactory, namespace: str) -> AsyncStore:
        """A fresh, empty store under the test's own namespace."""
        return open_store(namespace)

    @pytest.fixture
    def open_manager(self, clock: MutableClock) -> Callable[[AsyncStore], AsyncSessionManager]:
        """Build a session manager on a store (no I/O: call ``load_keys`` before use)."""

        def build(store: AsyncStore) -> AsyncSessionManager:
            return AsyncSessionManager(
                store,
                access_token_validity=ACCESS_VALIDITY,
                refresh_token_validity=REFRESH_VALIDITY,
                absolute_lifetime=ABSOLUTE_LIFETIME,
                grace_window=GRACE_WINDOW,
                clock=clock,
                # a driver must store values larger than core's default data-size limit
                max_session_data_size=None,
            )

        return build

    @afixture
    async def manager(
        self, store: AsyncStore, open_manager: Callable[[AsyncStore], AsyncSessionManager]
    ) -> AsyncSessionManager:
        """A session manager on the test's store, keys loaded (automatic keys, in the store)."""
        manager = open_manager(store)
        await manager.load_keys()
        return manager
