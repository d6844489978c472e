"""What an application's own tests need: a manager on ``memory://``, a clock, signed-in clients.

    from sessionjar.testing import ManualClock, memory_manager, sign_in_as

Nothing here is meant for production code. The pytest fixtures are an opt-in plugin:
``pytest_plugins = ["sessionjar.testing.pytest_plugin"]`` in the top-level conftest.
"""

from __future__ import annotations

from sessionjar._clock import utc_now
from sessionjar.testing._clients import sign_in, sign_in_as, sign_out
from sessionjar.testing._managers import ManualClock, async_memory_manager, memory_manager

__all__ = [
    "ManualClock",
    "utc_now",
    "memory_manager",
    "async_memory_manager",
    "sign_in",
    "sign_in_as",
    "sign_out",
]
