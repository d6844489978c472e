"""``manage.py sessionjar_cleanup``: delete expired sessions in batches, showing progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError

from sessionjar import _cleanup
from sessionjar.django._runtime import runtime
from sessionjar.errors import SessionjarError

if TYPE_CHECKING:
    from argparse import ArgumentParser

__all__ = ["Command"]


class Command(BaseCommand):
    """Delete the expired sessions (and expired automatic keys) of the configured store."""

    help = (
        "Delete expired sessions from the sessionjar store, in batches (safe to run on "
        "several machines at once). Storage I/O: one bounded delete per batch."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Add ``--batch-size``."""
        parser.add_argument(
            "--batch-size",
            type=int,
            default=_cleanup.DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"sessions deleted per store call (default: {_cleanup.DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the batches: a redrawn line on a terminal, plain lines otherwise.

        Raises:
            CommandError: the store is down, the settings are bad, or so is the batch size.
        """
        try:
            manager = runtime().manager
            _cleanup.delete_in_batches(
                manager, options["batch_size"], self._write, terminal=self.stdout.isatty()
            )
        except SessionjarError as exc:
            raise CommandError(f"cleanup failed: {exc}") from exc

    def _write(self, text: str) -> None:
        self.stdout.write(text, ending="")
        self.stdout.flush()
