"""What ``sessionjar migrate`` and ``check`` ask of a store: optional hooks, bounded probes.

Two store methods are optional, outside the storage protocol (a store without them
still conforms); the command calls them when a driver provides them:

- ``migrate() -> str | None``: prepare the backend for the store's namespace (create
  or upgrade tables, create indexes) and return one sentence saying what it did, e.g.
  ``"created tables web_sessions, web_signing_keys (schema version 2)"``. Idempotent.
- ``ping() -> None``: one round trip that proves the server answers and lets us in;
  raises `StorageUnavailable` naming the cause. Without it, the command reads a handle
  that does not exist (``get``), which on some drivers also does first-use work.

Drivers log their retries; the command shows the last such message as the cause of a
failure, with passwords masked, instead of letting every line reach the terminal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from sessionjar._handles import new_handle
from sessionjar.drivers._url import mask_credentials
from sessionjar.errors import StorageUnavailable

if TYPE_CHECKING:
    from sessionjar.storage import Store

__all__ = [
    "SupportsMigrate",
    "SupportsPing",
    "LogTrail",
    "probe",
    "migrate",
    "within",
    "one_line",
]

DEFAULT_TIMEOUT: Final = 3.0
"""Seconds the command waits for a server's first answer."""


@runtime_checkable
class SupportsMigrate(Protocol):
    """A store that has something to prepare before first use."""

    def migrate(self) -> str | None:
        """Prepare the namespace; return a sentence saying what was done, or `None`."""


@runtime_checkable
class SupportsPing(Protocol):
    """A store that can check that its server answers, with no other effect."""

    def ping(self) -> None:
        """One round trip; raise `StorageUnavailable` naming the cause if it fails."""


def probe(store: Store) -> None:
    """Check that the store's backend answers: ``ping()``, or else one read of no record."""
    if isinstance(store, SupportsPing):
        store.ping()
    else:
        store.get(new_handle())


def migrate(store: SupportsMigrate) -> str | None:
    """Run the store's ``migrate()``; return what it says it did (`None`: nothing to say)."""
    said = store.migrate()
    return said if isinstance(said, str) else None


def within(seconds: float, action: Callable[[], None], what: str) -> None:
    """Run ``action`` on a daemon thread; give up after ``seconds``.

    Raises:
        StorageUnavailable: ``action`` raised it (re-raised as is), or it took longer
            than ``seconds`` (``what`` names what gave no answer).
    """
    failure: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # handed over to the waiting thread
            failure.append(exc)

    # A daemon thread: a driver stuck in its retries must not keep the command alive.
    worker = threading.Thread(target=run, name="sessionjar-probe", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise StorageUnavailable(f"could not reach {what} within {seconds:g} s")
    if failure:
        raise failure[0]


class LogTrail(logging.Handler):
    """Keeps the warnings that libraries log (masked) instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        """What was logged, oldest first, passwords masked, on one line each."""

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's message."""
        self.messages.append(one_line(record.getMessage()))

    def cause_of(self, exc: BaseException) -> str | None:
        """The likeliest cause of ``exc`` that its message does not already say."""
        message = one_line(str(exc))
        candidates = [*reversed(self.messages), *_causes(exc)]
        return next((c for c in candidates if c and c not in message), None)

    @contextmanager
    def installed(self) -> Iterator[LogTrail]:
        """Catch every warning logged while the block runs (nothing reaches stderr)."""
        root = logging.getLogger()
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)


def _causes(exc: BaseException) -> list[str]:
    chain: list[str] = []
    current = exc.__cause__ or exc.__context__
    while current is not None and len(chain) < 10:
        chain.append(one_line(str(current)))
        current = current.__cause__ or current.__context__
    return list(reversed(chain))


def one_line(text: str) -> str:
    """``text`` with passwords masked and its whitespace (newlines too) collapsed."""
    return " ".join(mask_credentials(text).split())
