"""The shared conformance suite against a real Redis server and Redis Cluster (async version)."""

from __future__ import annotations

import functools

import pytest

from sessionjar_conformance import AsyncStoreConformance, AsyncStoreFactory
from sessionjar_redis.plugin import UNREACHABLE_URL
from sessionjar_redis.store_async import AsyncRedisStore

UNREACHABLE_CLUSTER_URL = "redis+cluster://127.0.0.1:1?socket_timeout=1&socket_connect_timeout=1"
CAPABILITIES = frozenset({"shared_namespace", "multi_process", "unreachable"})


class TestRedisConformance(AsyncStoreConformance):
    """Every conformance test, on the standalone server at ``SESSIONJAR_REDIS_URL``."""

    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, redis_url: str) -> AsyncStoreFactory:
        """Open stores on the standalone test server."""
        return functools.partial(AsyncRedisStore.from_url, redis_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return functools.partial(AsyncRedisStore.from_url, UNREACHABLE_URL)


class TestRedisClusterConformance(AsyncStoreConformance):
    """Every conformance test, on the cluster at ``SESSIONJAR_REDIS_CLUSTER_URL``."""

    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, cluster_url: str) -> AsyncStoreFactory:
        """Open stores on the test cluster."""
        return functools.partial(AsyncRedisStore.from_url, cluster_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open cluster stores on a port where nothing listens."""
        return functools.partial(AsyncRedisStore.from_url, UNREACHABLE_CLUSTER_URL)
