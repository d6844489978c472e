"""The built-in ``sqlite://`` driver: the embedded, persistent default store."""

from __future__ import annotations

from sessionjar.drivers.sqlite.store import DEFAULT_BUSY_TIMEOUT_MS, SqliteStore

__all__ = ["SqliteStore", "DEFAULT_BUSY_TIMEOUT_MS"]
