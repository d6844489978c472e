"""Fixtures of the core tests live in the fix_*.py plugins listed here."""

from __future__ import annotations

from importlib.util import find_spec

pytest_plugins = ["fix_clock", "fix_manager", "fix_registry", "fix_stores", "fix_web"]
if find_spec("django") is not None:  # the Django layer's tests run where Django is installed
    pytest_plugins.append("fix_django")
