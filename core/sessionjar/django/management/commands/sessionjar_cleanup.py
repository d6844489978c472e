"""``manage.py sessionjar_cleanup``: delete expired sessions, with a progress bar."""

from __future__ import annotations

import threading
from typing import Any, Final

from django.core.management.base import BaseCommand, CommandError

from sessionjar.django._runtime import runtime
from sessionjar.errors import SessionjarError

__all__ = ["Command"]

_WIDTH: Final = 30
_FRAME_SECONDS: Final = 0.1


class Command(BaseCommand):
    """Delete the expired sessions (and expired automatic keys) of the configured store."""

    help = "Delete expired sessions from the sessionjar store. Storage I/O: one delete."

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the delete, drawing a bar on a terminal while the store works.

        Raises:
            CommandError: the store is down or the settings are bad.
        """
        done = threading.Event()
        bar = threading.Thread(target=self._draw, args=(done,), daemon=True)
        if self.stdout.isatty():
            bar.start()
        try:
            deleted = runtime().manager.delete_expired_sessions()
        except SessionjarError as exc:
            raise CommandError(f"cleanup failed: {exc}") from exc
        finally:
            done.set()
            if bar.is_alive():
                bar.join()
        self.stdout.write(f"[{'#' * _WIDTH}] {deleted} expired session(s) deleted")

    def _draw(self, done: threading.Event) -> None:
        # the store deletes in one call, so the bar sweeps until it answers
        position = 0
        while not done.wait(_FRAME_SECONDS):
            cells = [" "] * _WIDTH
            cells[position % _WIDTH] = "#"
            self.stdout.write(f"\r[{''.join(cells)}] deleting…", ending="")
            self.stdout.flush()
            position += 1
        self.stdout.write("\r", ending="")
