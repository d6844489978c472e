"""Deleting expired sessions in batches, with a progress display.

``sessionjar cleanup`` and Django's ``manage.py sessionjar_cleanup`` both run
`delete_in_batches`. Each batch is one store call bounded by ``batch_size`` (storage
protocol 4), so no call holds a lock or a transaction for long, and a run from cron on
several machines at once is safe: each record is deleted, and counted, by one of them.
The loop ends at the first batch that deletes fewer than ``batch_size``: none were left
then (another machine may still be finishing its own batch). A store of protocol 2 or 3
deletes everything in its first call: the loop ends there when that was fewer than
``batch_size``, and otherwise after one more call, which finds nothing.

The store cannot say how many sessions have expired without scanning them, so the
display counts what was deleted rather than filling a bar: on a terminal one line,
redrawn, with a sweeping bar while a batch runs; elsewhere (cron, a log file) a plain
line every few seconds. A summary line ends both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from sessionjar.errors import ConfigurationError

if TYPE_CHECKING:
    from sessionjar.manager import SessionManager

__all__ = ["DEFAULT_BATCH_SIZE", "delete_in_batches", "check_batch_size"]

DEFAULT_BATCH_SIZE: Final = 1000
"""Sessions deleted per store call unless told otherwise."""
_WIDTH: Final = 30
_FRAME_SECONDS: Final = 0.1
_PLAIN_EVERY_SECONDS: Final = 10.0

Write = Callable[[str], None]
"""Writes text as is (no newline added) and flushes it."""


def check_batch_size(value: object) -> int:
    """Return ``value`` if it is a valid batch size.

    Raises:
        ConfigurationError: not a positive integer.
    """
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(f"the batch size must be a positive integer, not {value!r}")
    return value


def delete_in_batches(
    manager: SessionManager, batch_size: int, write: Write, *, terminal: bool
) -> int:
    """Delete expired sessions batch after batch; show progress; return how many.

    Storage I/O: one bounded delete per batch (`SessionManager.delete_expired_sessions`).

    Args:
        manager: the manager of the store to clean.
        batch_size: the most sessions one call deletes.
        write: where the progress and the summary go.
        terminal: whether ``write`` reaches a terminal (redrawn line) or not (plain lines).

    Raises:
        ConfigurationError: a bad ``batch_size``.
        StorageUnavailable: the store failed; the sessions of earlier batches stay deleted.
    """
    check_batch_size(batch_size)
    progress = _Progress()
    try:
        with _shown(progress, write, terminal):
            while True:
                deleted = manager.delete_expired_sessions(limit=batch_size)
                progress.add(deleted)
                if not terminal:
                    progress.report_now_and_then(write)
                if deleted < batch_size:
                    break
    except KeyboardInterrupt:
        write(progress.summary() + " (interrupted)\n")  # what is deleted stays deleted
        raise
    write(progress.summary() + "\n")
    return progress.deleted


class _Progress:
    """What the run has done so far; read by the drawing thread."""

    def __init__(self) -> None:
        self.deleted = 0
        self.batches = 0
        self.started = self.reported = time.monotonic()

    def add(self, deleted: int) -> None:
        self.deleted += deleted
        self.batches += 1

    def report_now_and_then(self, write: Write) -> None:
        now = time.monotonic()
        if now - self.reported >= _PLAIN_EVERY_SECONDS:
            self.reported = now
            write(f"{self.deleted} expired session(s) deleted so far ({self.batches} batches)\n")

    def summary(self) -> str:
        seconds = time.monotonic() - self.started
        return (
            f"{self.deleted} expired session(s) deleted in {self.batches} "
            f"batch(es), {seconds:.1f} s"
        )


@contextmanager
def _shown(progress: _Progress, write: Write, terminal: bool) -> Iterator[None]:
    """Redraw the progress line on a terminal while the block runs, then clear it."""
    if not terminal:
        yield
        return
    done = threading.Event()
    drawer = threading.Thread(target=_draw, args=(progress, write, done), daemon=True)
    drawer.start()
    try:
        yield
    finally:
        done.set()
        drawer.join()
        write("\r" + " " * (_WIDTH + 40) + "\r")


def _draw(progress: _Progress, write: Write, done: threading.Event) -> None:
    position = 0
    while not done.wait(_FRAME_SECONDS):
        cells = [" "] * _WIDTH
        cells[position % _WIDTH] = "#"  # a batch's size is known, the number of batches not
        write(f"\r[{''.join(cells)}] {progress.deleted} deleted…")
        position += 1
