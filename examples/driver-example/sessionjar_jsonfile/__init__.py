"""sessionjar-jsonfile: an example sessionjar driver keeping each namespace in one JSON file."""

from __future__ import annotations

from sessionjar_jsonfile.store import JsonFileStore

__all__ = ["JsonFileStore"]
