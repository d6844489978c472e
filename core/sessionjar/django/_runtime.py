"""The process-wide state of the Django integration: managers and web options from settings.

`SessionjarConfig.ready` builds it once per process from the ``SESSIONJAR`` setting;
``override_settings(SESSIONJAR=...)`` in tests rebuilds it (closing the old managers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any, Final

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.module_loading import import_string

import sessionjar
from sessionjar._web import WebConfig
from sessionjar._web_flow import WebFlow
from sessionjar._web_flow_async import AsyncWebFlow
from sessionjar.errors import (
    ConfigurationError,
    SessionjarError,
    StorageError,
    TokenTheftDetected,
)

__all__ = [
    "Runtime",
    "runtime",
    "build",
    "install",
    "shutdown",
    "options_of",
    "get_manager",
    "aget_manager",
    "DEFAULT_URL",
]

DEFAULT_URL: Final = "sqlite:///sessionjar.db"
"""The store of a ``SESSIONJAR`` setting without ``STORE_URL``: sqlite beside the app."""

_MANAGER_KEYS: Final = {
    "KEYS": "keys",
    "ACCESS_TOKEN_VALIDITY": "access_token_validity",
    "REFRESH_TOKEN_VALIDITY": "refresh_token_validity",
    "ABSOLUTE_LIFETIME": "absolute_lifetime",
    "GRACE_WINDOW": "grace_window",
    "ISSUER": "issuer",
    "REFRESH_SECRET": "refresh_secret",
    "CLOCK": "clock",
    "MAX_SESSION_DATA_SIZE": "max_session_data_size",
    "SESSION_LIMIT": "session_limit",
    "TRUNCATE_IPS": "truncate_ips",
    "CLAIMS": "claims",
    "CLAIM_VALIDATORS": "claim_validators",
}
# the URLconf decides where (and whether) the JWKS is served: see sessionjar.django.jwks_urls
_URLCONF_OPTIONS: Final = frozenset({"serve_jwks", "jwks_path"})
_WEB_KEYS: Final = {
    field.name.upper(): field.name
    for field in dataclasses.fields(WebConfig)
    if field.name not in _URLCONF_OPTIONS
}
_OWN_KEYS: Final = frozenset({"STORE_URL", "NAMESPACE", "ON_TOKEN_THEFT"})
# values that may be given as dotted paths
_CALLABLES: Final = frozenset(
    {"CLOCK", "ERROR_REPLY", "ON_TOKEN_THEFT", "CLAIMS", "CLAIM_VALIDATORS"}
)
_log = logging.getLogger("sessionjar.django")


@dataclasses.dataclass(slots=True, eq=False)
class Runtime:
    """The managers and request flows of this process."""

    config: WebConfig
    """Web options as configured; see `flows` for the ones requests use."""
    manager: sessionjar.SessionManager
    """The sync manager, for sync views, DRF and management commands."""
    amanager: sessionjar.AsyncSessionManager
    """The async manager, for async views (its keys load on first use)."""
    on_token_theft: Callable[[TokenTheftDetected], None] | None = None
    """Called inside the request when a refresh token was reused."""
    _flows: tuple[WebFlow, AsyncWebFlow] | None = None

    def flows(self) -> tuple[WebFlow, AsyncWebFlow]:
        """Return the sync and async request flows, built on the first request.

        Their ``refresh_path`` is where the URLconf put ``sessionjar.django.urls``
        (relative to the script prefix, ``FORCE_SCRIPT_NAME``, which each request adds),
        so the refresh cookie reaches the refresh view wherever it is included.
        """
        if self._flows is None:
            config = self.config
            path = _included_refresh_path()
            if path is not None and path != config.refresh_path:
                config = dataclasses.replace(config, refresh_path=path)
            self._flows = WebFlow(self.manager, config), AsyncWebFlow(self.amanager, config)
        return self._flows


def _included_refresh_path() -> str | None:
    try:
        full = reverse("sessionjar:refresh")
    except NoReverseMatch:
        return None
    prefix = get_script_prefix()
    return "/" + full.removeprefix(prefix) if full.startswith(prefix) else full


def options_of(setting: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a ``SESSIONJAR`` setting into manager and web options (dotted paths imported).

    Raises:
        ConfigurationError: an unknown key.
    """
    unknown = set(setting) - set(_MANAGER_KEYS) - set(_WEB_KEYS) - _OWN_KEYS
    if unknown:
        raise ConfigurationError(f"unknown SESSIONJAR keys: {', '.join(sorted(unknown))}")
    values = {key: _imported(key, value) for key, value in setting.items()}
    manager = {_MANAGER_KEYS[k]: v for k, v in values.items() if k in _MANAGER_KEYS}
    web = {_WEB_KEYS[k]: v for k, v in values.items() if k in _WEB_KEYS}
    return manager, web


def _imported(key: str, value: Any) -> Any:
    return import_string(value) if key in _CALLABLES and isinstance(value, str) else value


def build(setting: Mapping[str, Any]) -> Runtime:
    """Return a runtime for a ``SESSIONJAR`` setting. Storage I/O: none (stores opened).

    Raises:
        ConfigurationError: a bad option, or a store URL no installed driver serves.
    """
    manager_options, web_options = options_of(setting)
    config = WebConfig(**web_options)
    url = setting.get("STORE_URL", DEFAULT_URL)
    namespace = setting.get("NAMESPACE", "sessionjar")
    manager = sessionjar.SessionManager(
        sessionjar.open_store(url, namespace=namespace), **manager_options
    )
    amanager = sessionjar.AsyncSessionManager(
        sessionjar.open_async_store(url, namespace=namespace), **manager_options
    )
    theft_hook = _imported("ON_TOKEN_THEFT", setting.get("ON_TOKEN_THEFT"))
    return Runtime(config, manager, amanager, theft_hook)


_current: Runtime | None = None
_failure: SessionjarError | None = None


def runtime() -> Runtime:
    """Return this process's runtime.

    Raises:
        ConfigurationError: ``sessionjar.django`` is not in ``INSTALLED_APPS``, or the
            ``SESSIONJAR`` setting is bad (``manage.py check`` says why).
        StorageUnavailable: the store was down at start-up.
    """
    if _current is None:
        raise _failure or ConfigurationError("add 'sessionjar.django' to INSTALLED_APPS")
    return _current


def get_manager() -> sessionjar.SessionManager:
    """Return this process's sync session manager: for what goes beyond the request's own
    session (``list_devices``, ``revoke_device``, ``revoke_all_sessions_for_user`` …).

    Raises:
        ConfigurationError: as `runtime`.
    """
    return runtime().manager


def aget_manager() -> sessionjar.AsyncSessionManager:
    """Return this process's async session manager, for async views (see `get_manager`).

    Raises:
        ConfigurationError: as `runtime`.
    """
    return runtime().amanager


def install() -> None:
    """Build the runtime from ``settings.SESSIONJAR``, replacing (and closing) any other,
    and load the signing keys so that the first request can verify.

    Storage I/O: a key load. A bad setting is kept, not raised, so that
    ``manage.py check`` can still report it; each request then raises it. A store that
    is down is logged: the first request loads the keys instead (503 until it answers).
    """
    global _current, _failure
    shutdown()
    try:
        _current, _failure = build(getattr(settings, "SESSIONJAR", {})), None
    except SessionjarError as exc:
        _failure = exc
        return
    try:
        _current.manager.load_keys()
    except StorageError as exc:
        _log.warning("sessionjar: signing keys not loaded at start-up (%s)", exc)


def shutdown() -> None:
    """Close both managers' stores, if the runtime was built. Storage I/O: closes."""
    global _current
    if _current is not None:
        old, _current = _current, None
        old.manager.close()
        _close_async(old.amanager)


def _close_async(manager: sessionjar.AsyncSessionManager) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        with contextlib.suppress(RuntimeError):  # at interpreter exit no loop can start
            asyncio.run(manager.close())
    # else settings changed inside a running loop (an async test): its store belongs to
    # that loop, and whoever runs the loop closes it before the loop ends
