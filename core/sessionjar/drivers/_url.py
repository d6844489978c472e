"""Store URLs: options of the query string, checked against what a driver accepts; masking."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from sessionjar.errors import ConfigurationError

__all__ = ["query_options", "int_option", "seconds_option", "mask_credentials"]

MASK: Final = "***"
"""What replaces a password in printed and logged text."""
# user:password@ after a scheme, up to the last "@" of the authority because passwords
# with an unescaped "@" are common; and libpq's password=... (conninfo or URL query).
_USERINFO_PASSWORD: Final = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)[^/\s]*@", re.I)
_PASSWORD_OPTION: Final = re.compile(r"(?P<head>\bpassword=)[^&\s]+", re.I)


def query_options(url: str, allowed: Collection[str]) -> dict[str, str]:
    """Return the query options of ``url``, each given at most once.

    Raises:
        ConfigurationError: an option is unknown, repeated or malformed, or the URL
            has a fragment.
    """
    parts = urlsplit(url)
    if parts.fragment:
        raise ConfigurationError("a store URL cannot have a #fragment")
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise ConfigurationError(f"malformed query string in the store URL: {exc}") from exc
    options: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ConfigurationError(
                f"unknown option {name!r} in the {parts.scheme}:// URL (known: {known})"
            )
        if name in options:
            raise ConfigurationError(f"option {name!r} is given twice in the store URL")
        options[name] = value
    return options


def int_option(
    options: dict[str, str], name: str, default: int, *, minimum: int, maximum: int
) -> int:
    """Return option ``name`` as an integer in ``[minimum, maximum]``, or ``default``.

    Raises:
        ConfigurationError: the value is not such an integer.
    """
    text = options.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not minimum <= int(text) <= maximum:
        raise ConfigurationError(
            f"option {name}={text!r} must be an integer from {minimum} to {maximum}"
        )
    return int(text)


def seconds_option(
    options: dict[str, str], name: str, default: float, *, maximum: float = 3600
) -> float:
    """Return option ``name`` as a duration in seconds in ``(0, maximum]``, or ``default``.

    Raises:
        ConfigurationError: the value is not such a number.
    """
    text = options.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= maximum:
        raise ConfigurationError(
            f"option {name}={text!r} must be a number of seconds above 0 and at most {maximum:g}"
        )
    return value


def mask_credentials(text: str) -> str:
    """Return ``text`` with the password of every URL or ``password=`` option in it masked.

    ``redis://:s3cret@host/0`` becomes ``redis://:***@host/0``; the user name stays, so
    that a message still says who failed to log in. Call it on every URL (or message
    that may hold one) before printing or logging it.
    """
    text = _USERINFO_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    return _PASSWORD_OPTION.sub(rf"\g<head>{MASK}", text)
