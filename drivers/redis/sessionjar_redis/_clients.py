"""The redis-py classes of both flavours, under names the sync generator can rename.

``store_async.py`` imports the ``Async`` names; its generated twin imports the plain ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import redis.asyncio.cluster
import redis.cluster
from redis import Redis, RedisCluster
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio import RedisCluster as AsyncRedisCluster
from redis.asyncio.retry import Retry as AsyncRetry
from redis.retry import Retry

__all__ = [
    "Redis",
    "RedisCluster",
    "ClusterNode",
    "Retry",
    "AsyncRedis",
    "AsyncRedisCluster",
    "AsyncClusterNode",
    "AsyncRetry",
]

ClusterNode: Final[Callable[[str, int], redis.cluster.ClusterNode]] = redis.cluster.ClusterNode
"""The address of a cluster node, for `RedisCluster`."""

AsyncClusterNode: Final[Callable[[str, int], redis.asyncio.cluster.ClusterNode]] = (
    redis.asyncio.cluster.ClusterNode
)
"""The address of a cluster node, for `AsyncRedisCluster`."""
