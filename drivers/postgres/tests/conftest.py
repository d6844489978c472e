"""Fixtures of the PostgreSQL driver tests live in the fix_*.py plugins listed here."""

from __future__ import annotations

pytest_plugins = ["fix_server", "fix_cluster"]
