"""Session events: the application's hook implementations and how they are called.

The managers call `emit` only behind ``if _events.active``, so that an application with
no hook registered pays one module-attribute check per event and nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any, Final

import pluggy

from sessionjar import hookspecs

__all__ = [
    "active",
    "emit",
    "register_hooks",
    "token_hash",
    "token_rejected",
    "unregister_hooks",
]

_log: Final = logging.getLogger("sessionjar.events")
_SALT: Final = secrets.token_bytes(16)
_plugins: Final = pluggy.PluginManager("sessionjar")
_plugins.add_hookspecs(hookspecs)

active = False
"""Whether any hook implementation is registered."""


def register_hooks(plugin: object) -> None:
    """Register an object whose `sessionjar.hookimpl` methods receive session events.

    Every manager of the process calls them, sync and async alike. Registering the same
    object twice is refused; nothing is registered when a check fails.

    Raises:
        ValueError: the object is already registered.
        pluggy.PluginValidationError: a marked method names no hook of
            `sessionjar.hookspecs` (a typo), or a parameter its hook does not have.
    """
    global active
    _plugins.register(plugin)
    try:
        _plugins.check_pending()
    except pluggy.PluginValidationError:
        _plugins.unregister(plugin)
        raise
    active = True


def unregister_hooks(plugin: object) -> None:
    """Stop calling the hook implementations of an object `register_hooks` registered."""
    global active
    _plugins.unregister(plugin)
    active = bool(_plugins.get_plugins())


def emit(hook: str, **kwargs: Any) -> None:
    """Call every implementation of ``hook``; log, never raise, what one of them raises."""
    for impl in reversed(getattr(_plugins.hook, hook).get_hookimpls()):
        try:
            impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception:
            _log.exception("the %s hook of %s raised", hook, impl.plugin_name)


def token_hash(token: str) -> str:
    """Return a salted hash of a token (16 hex digits): repeats match, the token stays secret."""
    return hashlib.blake2b(token.encode(), key=_SALT, digest_size=8).hexdigest()


def token_rejected(kind: str, error: Exception, token: str) -> None:
    """Emit ``sessionjar_token_rejected`` for a token refused with ``error``."""
    emit(
        "sessionjar_token_rejected",
        kind=kind,
        reason=type(error).__name__,
        token_hash=token_hash(token),
    )
