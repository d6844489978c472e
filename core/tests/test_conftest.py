"""The test suite's own wiring: conftest.py lists every fixture plugin."""

from __future__ import annotations

from pathlib import Path

import conftest


def test_conftest_lists_every_fixture_plugin() -> None:
    plugins = {path.stem for path in Path(__file__).parent.glob("fix_*.py")}
    assert set(conftest.pytest_plugins) == plugins
