"""System checks (``manage.py check``) that catch a misconfigured ``SESSIONJAR`` early."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from sessionjar._keys import check_secret
from sessionjar._registry import driver_for
from sessionjar._web import WebConfig
from sessionjar.django._runtime import DEFAULT_URL, options_of
from sessionjar.errors import ConfigurationError, SessionjarError

__all__ = ["check_settings"]

_MIDDLEWARE = "sessionjar.django.middleware.SessionMiddleware"


@register(Tags.security, Tags.compatibility)
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Check the ``SESSIONJAR`` setting and the middleware; no storage I/O.

    ``sessionjar.E001`` unknown key or bad web option, ``E002`` weak refresh secret,
    ``E003`` no installed driver serves the store URL, ``E004`` middleware missing,
    ``W001`` cookies without ``Secure`` outside ``DEBUG``.
    """
    setting = getattr(settings, "SESSIONJAR", {})
    try:
        WebConfig(**options_of(setting)[1])
    except ConfigurationError as exc:
        return [Error(str(exc), id="sessionjar.E001", obj="SESSIONJAR")]
    return [
        *_secret(setting),
        *_store(setting),
        *_middleware(),
        *_cookies(setting),
    ]


def _secret(setting: dict[str, Any]) -> list[CheckMessage]:
    secret = setting.get("REFRESH_SECRET")
    if secret is None:
        return []
    try:
        check_secret(secret, "REFRESH_SECRET")
    except ConfigurationError as exc:
        hint = "use 32 random bytes or more, e.g. secrets.token_urlsafe(32), from the environment"
        return [Error(str(exc), hint=hint, id="sessionjar.E002", obj="SESSIONJAR")]
    return []


def _store(setting: dict[str, Any]) -> list[CheckMessage]:
    url = setting.get("STORE_URL", DEFAULT_URL)
    try:
        driver_for(url)
    except SessionjarError as exc:
        return [Error(str(exc), id="sessionjar.E003", obj="SESSIONJAR['STORE_URL']")]
    return []


def _middleware() -> list[CheckMessage]:
    if _MIDDLEWARE in settings.MIDDLEWARE:
        return []
    hint = f"add {_MIDDLEWARE!r} to MIDDLEWARE"
    message = "sessionjar's middleware is not installed: tokens and errors are not answered"
    return [Error(message, hint=hint, id="sessionjar.E004")]


def _cookies(setting: dict[str, Any]) -> list[CheckMessage]:
    if settings.DEBUG or setting.get("COOKIE_SECURE", True):
        return []
    message = "COOKIE_SECURE is False outside DEBUG: session cookies travel over plain http"
    return [Warning(message, id="sessionjar.W001", obj="SESSIONJAR")]
