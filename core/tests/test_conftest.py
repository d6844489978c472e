"""The test suite's own wiring: conftest.py lists every fixture plugin."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import conftest

# plugins that need an optional package, listed only where it is installed
_OPTIONAL = {"fix_django": "django"}


def test_conftest_lists_every_fixture_plugin() -> None:
    plugins = {path.stem for path in Path(__file__).parent.glob("fix_*.py")}
    missing = {name for name, package in _OPTIONAL.items() if find_spec(package) is None}
    assert set(conftest.pytest_plugins) == plugins - missing
