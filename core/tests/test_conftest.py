"""The test suite's own wiring: conftest.py lists every fixture plugin."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import conftest


def test_conftest_lists_every_fixture_plugin() -> None:
    plugins = {path.stem for path in Path(__file__).parent.glob("fix_*.py")}
    if find_spec("django") is None:  # conftest loads the Django fixtures only with Django
        plugins.discard("fix_django")
    assert set(conftest.pytest_plugins) == plugins
