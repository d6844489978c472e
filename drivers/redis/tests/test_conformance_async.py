"""The shared conformance suite against a real Redis server and Redis Cluster (async version).

The network fault tests reach the servers through a `FaultProxy`: the standalone server
by the proxy's address in the URL, the cluster through one proxy port per node, which
redis-py's ``address_remap`` substitutes for the addresses the cluster announces.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Final

import pytest

from sessionjar_conformance import AsyncProxiedBackend, AsyncStoreConformance, AsyncStoreFactory
from sessionjar_conformance.faultproxy import FaultProxy
from sessionjar_conformance.plugin import AsyncStoreOpener
from sessionjar_redis._url import parse_url
from sessionjar_redis.plugin import UNREACHABLE_URL
from sessionjar_redis.store_async import AsyncRedisStore

UNREACHABLE_CLUSTER_URL = "redis+cluster://127.0.0.1:1?socket_timeout=1&socket_connect_timeout=1"
CAPABILITIES = frozenset({"shared_namespace", "multi_process", "unreachable"})
BOUND: Final = 1.0
"""The ``timeout`` of the stores behind the fault proxy, in seconds."""

Address = tuple[str, int]


def open_proxied(proxy: FaultProxy, namespace: str) -> AsyncRedisStore:
    """Open a store on the standalone server through the proxy."""
    host, port = proxy.address
    url = f"redis://{host}:{port}/0?timeout={BOUND}"
    return AsyncRedisStore.from_url(url, namespace=namespace)


def open_proxied_cluster(
    nodes: tuple[Address, ...], proxy: FaultProxy, namespace: str
) -> AsyncRedisStore:
    """Open a store on the cluster whose every node is reached through the proxy."""
    host, port = proxy.address_of(nodes[0])
    options = parse_url(f"redis+cluster://{host}:{port}?timeout={BOUND}")
    through = {node: proxy.address_of(node) for node in nodes}
    kwargs = {**options.client_kwargs, "address_remap": through.__getitem__}
    return AsyncRedisStore(dataclasses.replace(options, client_kwargs=kwargs), namespace=namespace)


class TestRedisConformance(AsyncStoreConformance):
    """Every conformance test, on the standalone server at ``SESSIONJAR_REDIS_URL``."""

    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, redis_url: str) -> AsyncStoreFactory:
        """Open stores on the standalone test server."""
        return AsyncStoreOpener(redis_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open stores on a port where nothing listens."""
        return AsyncStoreOpener(UNREACHABLE_URL)

    @pytest.fixture
    def proxied_backend(self, redis_url: str) -> AsyncProxiedBackend:
        """The standalone test server, through a fault proxy."""
        server = parse_url(redis_url).nodes
        return AsyncProxiedBackend(upstreams=server, open_store=open_proxied, bound=BOUND)


class TestRedisClusterConformance(AsyncStoreConformance):
    """Every conformance test, on the cluster at ``SESSIONJAR_REDIS_CLUSTER_URL``."""

    capabilities = CAPABILITIES

    @pytest.fixture
    def make_store(self, cluster_url: str) -> AsyncStoreFactory:
        """Open stores on the test cluster."""
        return AsyncStoreOpener(cluster_url)

    @pytest.fixture
    def unreachable_store(self) -> AsyncStoreFactory:
        """Open cluster stores on a port where nothing listens."""
        return AsyncStoreOpener(UNREACHABLE_CLUSTER_URL)

    @pytest.fixture
    def proxied_backend(self, cluster_nodes: tuple[Address, ...]) -> AsyncProxiedBackend:
        """Every node of the test cluster, through a fault proxy."""
        return AsyncProxiedBackend(
            upstreams=cluster_nodes,
            open_store=functools.partial(open_proxied_cluster, cluster_nodes),
            bound=BOUND,
        )
