"""What the server a store talks to can be trusted with, told from its ``buildInfo``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sessionjar import ConfigurationError
from sessionjar_mongodb._options import ACCEPT_NON_ATOMIC

__all__ = ["check_atomic_updates"]


def check_atomic_updates(build_info: Mapping[str, Any], *, accepted: bool) -> None:
    """Refuse a server whose single-document updates are not atomic, unless accepted.

    The store's compare-and-set (refresh-token rotation, conditional updates) is one
    ``findAndModify``; FerretDB v1 runs it as a read and a separate write, so concurrent
    refreshes of one session can all win and concurrent updates can lose writes.
    MongoDB applies it atomically. Only FerretDB v1 is known not to, and refused.

    Raises:
        ConfigurationError: the server is FerretDB v1 and the URL does not set
            ``accept_non_atomic_updates=true``.
    """
    version = str(build_info.get("ferretdbVersion", ""))
    if accepted or not version.lstrip("v").startswith("1."):
        return
    raise ConfigurationError(
        f"the MongoDB server is FerretDB {version}, whose findAndModify is not atomic: "
        "concurrent refreshes of one session may all succeed (no theft detection between "
        "them) and concurrent updates may lose writes. Use MongoDB, or add "
        f"{ACCEPT_NON_ATOMIC}=true to the URL to accept this"
    )
