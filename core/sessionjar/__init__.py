"""sessionjar: sessions for Python web apps.

This module is the canonical place to import from: everything an application needs is
re-exported here and listed in ``__all__`` (the docs and mypy read it).
"""

from __future__ import annotations

from sessionjar._devices import Client, Device
from sessionjar._events import register_hooks, unregister_hooks
from sessionjar._info import SessionInformation
from sessionjar._keys import AutomaticKeys, SigningKey
from sessionjar._registry import (
    DriverInfo,
    InstalledDriver,
    PluginFailure,
    driver_for,
    installed_drivers,
    open_async_store,
    open_store,
    plugin_failures,
)
from sessionjar._session_limit import SessionLimit
from sessionjar._types import Clock, JSONObject, JSONValue
from sessionjar.adapter import AsyncStoreAdapter
from sessionjar.errors import (
    AntiCsrfCheckFailed,
    ClaimValidationError,
    ClientError,
    ConfigurationError,
    DriverConflict,
    DriverNotFound,
    DuplicateHandle,
    InvalidHandle,
    InvalidTokenError,
    SerializationError,
    SessionDataTooLarge,
    SessionjarError,
    SessionLimitReached,
    SessionNotFound,
    SessionRequired,
    StorageError,
    StorageUnavailable,
    TokenTheftDetected,
    TryRefreshToken,
    UnauthorisedError,
    UpdateConflict,
)
from sessionjar.hookspecs import hookimpl
from sessionjar.manager import SessionManager
from sessionjar.manager_async import AsyncSessionManager
from sessionjar.session import Session
from sessionjar.session_async import AsyncSession
from sessionjar.storage import (
    PROTOCOL_VERSION,
    AsyncStore,
    SessionPatch,
    SessionRecord,
    SigningKeyRecord,
    Store,
)

__all__ = [
    # sessions
    "AsyncSessionManager",
    "SessionManager",
    "AsyncSession",
    "Session",
    "SessionInformation",
    "SessionLimit",
    "Client",
    "Device",
    "SigningKey",
    "AutomaticKeys",
    # storage protocol and drivers
    "PROTOCOL_VERSION",
    "AsyncStore",
    "Store",
    "SessionRecord",
    "SessionPatch",
    "SigningKeyRecord",
    "DriverInfo",
    "hookimpl",
    "register_hooks",
    "unregister_hooks",
    "open_store",
    "open_async_store",
    "driver_for",
    "installed_drivers",
    "plugin_failures",
    "InstalledDriver",
    "PluginFailure",
    "AsyncStoreAdapter",
    # types
    "Clock",
    "JSONObject",
    "JSONValue",
    # errors
    "SessionjarError",
    "ClientError",
    "TryRefreshToken",
    "UnauthorisedError",
    "InvalidTokenError",
    "SessionNotFound",
    "UpdateConflict",
    "TokenTheftDetected",
    "SessionRequired",
    "AntiCsrfCheckFailed",
    "ClaimValidationError",
    "StorageError",
    "StorageUnavailable",
    "DuplicateHandle",
    "ConfigurationError",
    "DriverNotFound",
    "DriverConflict",
    "InvalidHandle",
    "SerializationError",
    "SessionDataTooLarge",
    "SessionLimitReached",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("sessionjar")
    raise AttributeError(f"module 'sessionjar' has no attribute {name!r}")
