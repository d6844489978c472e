"""The suite against the driver of ``--sessionjar-url`` (the zero-code way in).

Without the option every test here is skipped with a reason.
"""

from __future__ import annotations

import pytest

from sessionjar import DriverInfo
from sessionjar_conformance import (
    AsyncStoreConformance,
    AsyncStoreFactory,
    Capabilities,
    StoreConformance,
    StoreFactory,
)
from sessionjar_conformance.plugin import (
    DRIVER_KEY,
    EXTRA_CAPABILITIES_KEY,
    URL_KEY,
    AsyncStoreOpener,
    StoreOpener,
)


class _ByUrl:
    """Fixtures that take the driver, its capabilities and its stores from the URL."""

    @pytest.fixture
    def driver(self, request: pytest.FixtureRequest) -> DriverInfo:
        """The driver of ``--sessionjar-url``."""
        info = request.config.stash.get(DRIVER_KEY, None)
        if info is None:
            pytest.skip("pass --sessionjar-url URL to run the conformance suite")
        return info

    @pytest.fixture
    def driver_capabilities(
        self, request: pytest.FixtureRequest, driver: DriverInfo
    ) -> Capabilities:
        """The driver's `DriverInfo` capabilities (``unreachable`` if it has an unreachable
        URL) and those given with ``--sessionjar-capability``."""
        given = request.config.stash[EXTRA_CAPABILITIES_KEY]
        implied = {"unreachable"} if driver.unreachable_url else set()
        return Capabilities(driver.capabilities | given | implied)

    @pytest.fixture
    def url(self, request: pytest.FixtureRequest, driver: DriverInfo) -> str:
        """The ``--sessionjar-url`` value."""
        return request.config.stash[URL_KEY]


class TestAsyncStoreByUrl(_ByUrl, AsyncStoreConformance):
    """The async suite on the driver's `open_async_store` stores."""

    @pytest.fixture
    def make_store(self, url: str) -> AsyncStoreFactory:
        return AsyncStoreOpener(url)

    @pytest.fixture
    def unreachable_store(self, driver: DriverInfo) -> AsyncStoreFactory | None:
        dead = driver.unreachable_url
        return AsyncStoreOpener(dead) if dead else None


class TestStoreByUrl(_ByUrl, StoreConformance):
    """The sync suite on the driver's `open_store` stores."""

    @pytest.fixture
    def make_store(self, url: str) -> StoreFactory:
        return StoreOpener(url)

    @pytest.fixture
    def unreachable_store(self, driver: DriverInfo) -> StoreFactory | None:
        dead = driver.unreachable_url
        return StoreOpener(dead) if dead else None
