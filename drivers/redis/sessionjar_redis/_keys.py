"""The key layout: every Redis key the driver touches is built here.

A key is made of the validated namespace, a bucket number, the session handle, or a
hash of (tenant, user id) — never of raw user input. Every key of a bucket starts with
the same hash tag, so one bucket lives in one cluster slot and a Lua script can touch a
session record and its owner's index together::

    {<tag>}:s:<handle>        hash: one session record (codec row + "ix", the owner tag,
                              and "sum", the digest of its text fields; see _scripts)
    {<tag>}:u:<owner>         sorted set: the owner's handles in this bucket, by expires_at
    {<namespace>}:keys        hash: signing keys, kid -> JSON row

A standalone server has one bucket whose tag is the namespace; a cluster spreads a
namespace over ``buckets`` tags chosen to fall into evenly spaced slot ranges.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Final

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from sessionjar.errors import InvalidHandle, SerializationError

__all__ = ["KeyLayout", "owner_tag", "check_handle", "storable"]

_RECORD: Final = "s:"
_INDEX: Final = "u:"


def owner_tag(tenant: str, user_id: str) -> str:
    """Return the 128-bit hex digest that stands for (tenant, user id) in key names.

    Raises:
        SerializationError: either is not a str of valid Unicode text.
    """
    for name, value in (("tenant", tenant), ("user_id", user_id)):
        if not isinstance(value, str):
            raise SerializationError(f"{name} must be a str, not {type(value).__name__}", name)
    try:
        # The length prefix keeps ("a:b", "c") and ("a", "b:c") apart.
        data = f"{len(tenant)}:{tenant}:{user_id}".encode()
    except UnicodeEncodeError as exc:
        raise SerializationError("tenant or user_id is not valid Unicode text") from exc
    return hashlib.sha256(data).hexdigest()[:32]


def check_handle(handle: object) -> str:
    """Return ``handle`` if it is a str of valid Unicode text.

    Raises:
        InvalidHandle: it is not.
    """
    if not isinstance(handle, str):
        raise InvalidHandle(f"a handle must be a str, not {type(handle).__name__}")
    try:
        handle.encode()
    except UnicodeEncodeError as exc:
        raise InvalidHandle(f"handle {handle!r} is not valid Unicode text") from exc
    return handle


def storable(text: str) -> bool:
    """Tell whether ``text`` is valid Unicode text, as every key and value Redis holds here."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


class KeyLayout:
    """Names the keys of one namespace spread over ``buckets`` hash tags."""

    def __init__(self, namespace: str, buckets: int) -> None:
        self.prefixes: Final = _bucket_prefixes(namespace, buckets)
        """The key prefix (``{tag}:``) of each bucket."""
        self.signing_keys: Final = f"{{{namespace}}}:keys"
        """The hash of signing keys."""
        self.record_pattern: Final = (
            f"{{{namespace}}}:{_RECORD}*" if buckets == 1 else f"{{{namespace}:*}}:{_RECORD}*"
        )
        """The SCAN pattern of every session record key of the namespace."""

    def prefix(self, handle: str) -> str:
        """Return the prefix of the bucket a handle belongs to."""
        return self.prefixes[zlib.crc32(handle.encode()) % len(self.prefixes)]

    def record(self, handle: str) -> str:
        """Return the key of the session record with this handle."""
        return self.record_in(self.prefix(handle), handle)

    @staticmethod
    def record_in(prefix: str, handle: str) -> str:
        """Return the key of the session record with this handle in the bucket of ``prefix``."""
        return prefix + _RECORD + handle

    @staticmethod
    def index(prefix: str, owner: str) -> str:
        """Return the key of an owner's index in the bucket of ``prefix``."""
        return prefix + _INDEX + owner

    @staticmethod
    def split_record(key: str) -> tuple[str, str]:
        """Return the bucket prefix and the handle of a record key found by SCAN."""
        prefix = key[: key.index("}") + 2]
        return prefix, key[len(prefix) + len(_RECORD) :]


def _bucket_prefixes(namespace: str, buckets: int) -> tuple[str, ...]:
    if buckets == 1:
        return (f"{{{namespace}}}:",)
    # Searching a tag per evenly spaced slot range spreads the buckets over the cluster's
    # nodes as evenly as its slot ranges are spread; random tags would clump.
    width = REDIS_CLUSTER_HASH_SLOTS / buckets
    prefixes = []
    for bucket in range(buckets):
        low, high = round(bucket * width), round((bucket + 1) * width)
        attempt = 0
        while not low <= key_slot(f"{namespace}:{bucket}.{attempt}".encode()) < high:
            attempt += 1
        prefixes.append(f"{{{namespace}:{bucket}.{attempt}}}:")
    return tuple(prefixes)
