"""sessionjar-redis: the Redis and Redis Cluster storage driver of sessionjar.

Open stores through ``sessionjar.open_store("redis://...")``; the classes are exported
here for direct use. Importing this package does not import redis-py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessionjar_redis.store import RedisStore
    from sessionjar_redis.store_async import AsyncRedisStore

__all__ = ["AsyncRedisStore", "RedisStore"]


def __getattr__(name: str) -> object:
    if name == "AsyncRedisStore":
        from sessionjar_redis.store_async import AsyncRedisStore

        return AsyncRedisStore
    if name == "RedisStore":
        from sessionjar_redis.store import RedisStore

        return RedisStore
    raise AttributeError(f"module 'sessionjar_redis' has no attribute {name!r}")
