"""The Django app of sessionjar: builds the managers once per process, closes them at exit."""

from __future__ import annotations

import atexit
from typing import Any

from django.apps import AppConfig
from django.core.signals import setting_changed

from sessionjar.django import _runtime

__all__ = ["SessionjarConfig"]


class SessionjarConfig(AppConfig):
    """``"sessionjar.django"`` in ``INSTALLED_APPS``: settings read, keys loaded at start-up."""

    name = "sessionjar.django"
    label = "sessionjar"
    verbose_name = "sessionjar"

    def ready(self) -> None:
        """Build the managers from ``settings.SESSIONJAR`` and register the system checks.

        Storage I/O: a key load, so that the first request can verify. Neither a bad
        setting nor a store that is down stops start-up: ``manage.py check`` reports
        the first, and requests answer 503 until the store answers.
        """
        from sessionjar.django import checks  # noqa: F401  (registers the checks)

        _runtime.install()
        atexit.register(_runtime.shutdown)
        setting_changed.connect(_rebuild, dispatch_uid="sessionjar-settings")


def _rebuild(*, setting: str, **kwargs: Any) -> None:
    if setting == "SESSIONJAR":
        _runtime.install()
