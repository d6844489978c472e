"""The shared conformance suite against a real PostgreSQL server (async version).

It runs three ways: straight to the server; through a `FaultProxy`, for the network
fault tests; and through PgBouncer in transaction pooling mode (``z-pgbouncer.sh``),
where server-side prepared statements do not work (``prepare_threshold=none``).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

import pytest
from fix_server import with_options

from sessionjar_conformance import AsyncProxiedBackend, AsyncStoreConformance, AsyncStoreFactory
from sessionjar_conformance.faultproxy import FaultProxy
from sessionjar_conformance.plugin import AsyncStoreOpener
from sessionjar_postgres.plugin import UNREACHABLE_URL
from sessionjar_postgres.store_async import AsyncPostgresStore

CAPABILITIES: Final = frozenset({"shared_namespace", "multi_process", "unreachable"})
BOUND: Final = 2.0
"""The ``timeout`` of the stores behind the fault proxy, in seconds (libpq's least)."""


def proxied_opener(postgres_url: str) -> AsyncProxiedBackend:
    """The test server behind a fault proxy: stores reach it at the proxy's address."""
    parts = urlsplit(postgres_url)
    assert parts.hostname is not None
    userinfo = parts.netloc.rpartition("@")[0]

    def open_store(proxy: FaultProxy, namespace: str) -> AsyncPostgresStore:
        host, port = proxy.address
        netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
        url = with_options(
            parts._replace(netloc=netloc).geturl(), timeout=BOUND, connect_timeout=2
        )
        return AsyncPostgresStore.from_url(url, namespace=namespace)

    upstream = (parts.hostname, parts.port or 5432)
    return AsyncProxiedBackend(upstreams=(upstream,), open_store=open_store, bound=BOUND)


class TestPostgresConformance(AsyncStoreConformance):
    """Every conformance test, on the server at ``SESSIONJAR_POSTGRES_URL``."""

    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, postgres_url: str) -> AsyncStoreFactory:
        """Open stores on the test server, in the run's schema."""
        return AsyncStoreOpener(postgres_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return AsyncStoreOpener(UNREACHABLE_URL)

    @pytest.fixture
    def proxied_backend(self, postgres_url: str) -> AsyncProxiedBackend:
        """The test server, through a fault proxy."""
        return proxied_opener(postgres_url)


class TestPgBouncerConformance(AsyncStoreConformance):
    """Every conformance test, through PgBouncer in transaction pooling mode."""

    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, pgbouncer_url: str) -> AsyncStoreFactory:
        """Open stores on the test server through PgBouncer, in the run's schema."""
        return AsyncStoreOpener(pgbouncer_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return AsyncStoreOpener(UNREACHABLE_URL)
