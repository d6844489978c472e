"""The built-in ``memory://`` driver: records in this process's memory."""

from __future__ import annotations

from sessionjar.drivers.memory._backend import DEFAULT_MAX_SESSIONS, MemoryBackend
from sessionjar.drivers.memory.store import MemoryStore
from sessionjar.drivers.memory.store_async import AsyncMemoryStore

__all__ = ["AsyncMemoryStore", "MemoryStore", "MemoryBackend", "DEFAULT_MAX_SESSIONS"]
