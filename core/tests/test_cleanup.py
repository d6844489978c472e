"""Deleting expired sessions in batches (`sessionjar._cleanup`), on a real memory store."""

from __future__ import annotations

import uuid

import pytest
from fix_manager import MakeSync

import sessionjar
from sessionjar import ConfigurationError, SessionManager
from sessionjar._cleanup import delete_in_batches
from sessionjar.testing import ManualClock


def _expired(manager: SessionManager, clock: ManualClock, count: int) -> None:
    for number in range(count):
        manager.create_session(f"user-{number}")
    clock.advance(days=31)


def test_batches_until_one_is_short(make_manager: MakeSync, clock: ManualClock) -> None:
    manager = make_manager()
    _expired(manager, clock, 10)
    written: list[str] = []
    assert delete_in_batches(manager, 4, written.append, terminal=False) == 10
    assert written[-1].startswith("10 expired session(s) deleted in 3 batch(es), ")
    assert written[-1].endswith("\n")
    assert delete_in_batches(manager, 4, written.append, terminal=False) == 0


def test_on_a_terminal_the_progress_line_is_cleared(
    make_manager: MakeSync, clock: ManualClock
) -> None:
    manager = make_manager()
    _expired(manager, clock, 3)
    written: list[str] = []
    delete_in_batches(manager, 2, written.append, terminal=True)
    cleared, summary = written[-2:]
    assert cleared.startswith("\r")
    assert cleared.endswith("\r")
    assert not cleared.strip()
    assert summary.startswith("3 expired session(s) deleted in 2 batch(es)")


@pytest.mark.parametrize("size", [0, -1, True, 1.5, "10"])
def test_a_bad_batch_size_deletes_nothing(
    make_manager: MakeSync, clock: ManualClock, size: object
) -> None:
    manager = make_manager()
    _expired(manager, clock, 1)
    with pytest.raises(ConfigurationError, match="positive integer"):
        delete_in_batches(manager, size, print, terminal=False)  # type: ignore[arg-type]
    assert delete_in_batches(manager, 5, lambda _: None, terminal=False) == 1


class _InterruptedManager(SessionManager):
    """A real manager whose operator presses Ctrl-C during the second batch."""

    batches = 0

    def delete_expired_sessions(self, *, limit: int | None = None) -> int:
        self.batches += 1
        if self.batches == 2:
            raise KeyboardInterrupt
        return super().delete_expired_sessions(limit=limit)


def test_an_interrupted_run_says_what_it_deleted(clock: ManualClock) -> None:
    store = sessionjar.open_store(f"memory://{uuid.uuid4().hex}")
    manager = _InterruptedManager(store, clock=clock)
    _expired(manager, clock, 5)
    written: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        delete_in_batches(manager, 2, written.append, terminal=False)
    assert written[-1].startswith("2 expired session(s) deleted in 1 batch(es)")
    assert written[-1].endswith(" (interrupted)\n")
    manager.close()
