"""Driver descriptions and the registry that maps a store URL to its driver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sessionjar.storage import AsyncStore, Store

__all__ = ["DriverInfo"]


@dataclass(frozen=True, kw_only=True)
class DriverInfo:
    """What a driver plugin tells the registry about one driver.

    The factories take the store URL and the namespace, import the driver's client
    library, and return a store without doing any I/O (stores connect on first use).
    """

    name: str
    """Short name of the driver, e.g. ``"redis"``."""
    schemes: tuple[str, ...]
    """URL schemes the driver handles, e.g. ``("redis", "rediss", "unix")``."""
    open_async: Callable[[str, str], AsyncStore]
    """``open_async(url, namespace)`` → a new `AsyncStore`."""
    open_sync: Callable[[str, str], Store]
    """``open_sync(url, namespace)`` → a new `Store`."""
    distribution: str
    """The distribution that ships the driver, e.g. ``"sessionjar-redis"``."""
    install_hint: str
    """The command that installs the driver, e.g. ``pip install "sessionjar[redis]"``."""
    protocol_version: int
    """The storage `PROTOCOL_VERSION` the driver implements."""
    capabilities: frozenset[str] = field(default_factory=frozenset)
    """Named capabilities the conformance suite checks for (see its docs)."""
    unreachable_url: str | None = None
    """A URL of this driver where nothing listens, for the suite's failure tests."""
