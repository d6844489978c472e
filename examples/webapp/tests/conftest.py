"""Fixtures of the browser test: the example app served by each framework in turn."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The example runs from the repository root (python -m examples.webapp); it is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from examples.webapp.tests.servers import (
    MovableClock,
    Served,
    serve_django,
    serve_fastapi,
    serve_flask,
)


@pytest.fixture
def clock() -> MovableClock:
    """A clock that starts at the real time."""
    return MovableClock()


@pytest.fixture(params=["fastapi", "flask", "django"])
def served(
    request: pytest.FixtureRequest, tmp_path: Path, clock: MovableClock
) -> Iterator[Served]:
    """The example app, each flavour in turn, on a fresh sqlite file."""
    serve = {"fastapi": serve_fastapi, "flask": serve_flask, "django": serve_django}[request.param]
    with serve(tmp_path / "sessions.db", clock) as url:
        yield Served(url, clock)
