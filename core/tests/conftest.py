"""Fixtures of the core tests live in the fix_*.py plugins listed here."""

from __future__ import annotations

pytest_plugins = ["fix_clock", "fix_manager", "fix_registry", "fix_stores", "fix_web"]
