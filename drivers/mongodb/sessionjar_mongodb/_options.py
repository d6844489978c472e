"""Client settings of a ``mongodb://`` or ``mongodb+srv://`` store URL, shared by both flavours."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from sessionjar import ConfigurationError

__all__ = ["DEFAULT_DATABASE", "ClientSettings", "client_settings", "strict_options"]

DEFAULT_DATABASE: Final = "sessionjar"
"""Database used when the URL's path names none."""

# pymongo's own defaults wait 30 s for a server and forever for a reply; a session store
# must fail closed quickly instead. The URL can set any of these.
_DEFAULTS: Final[dict[str, int]] = {
    "serverSelectionTimeoutMS": 5_000,
    "connectTimeoutMS": 5_000,
    "socketTimeoutMS": 10_000,
}
# timeoutMS (pymongo's whole-operation timeout) overrides the per-socket timeout.
_SUPERSEDED_BY: Final = {"socketTimeoutMS": ("sockettimeoutms", "timeoutms")}
_BAD_DATABASE: Final = re.compile(r'[/\\. "$*<>:|?\x00]')


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """What a store passes to pymongo's client."""

    url: str
    """The URL as given; pymongo parses its hosts and options."""
    database: str
    """Name of the database that holds the store's collections."""
    options: dict[str, Any]
    """Keyword arguments for the client, beside the URL."""


def client_settings(url: str) -> ClientSettings:
    """Return the client settings of a store URL.

    The database is the URL's path (``mongodb://host/mydb``), `DEFAULT_DATABASE` if it
    has none. Every other URL option is pymongo's; the timeouts pymongo would leave at 30 s
    or unbounded default to 5 s (server selection, connect) and 10 s (each reply).

    Raises:
        ConfigurationError: the scheme is not ``mongodb`` or ``mongodb+srv``, the
            path is not a valid database name, or ``w=0`` asks for unacknowledged writes.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mongodb", "mongodb+srv"):
        raise ConfigurationError(f"not a MongoDB URL (mongodb:// or mongodb+srv://): {url!r}")
    database = unquote(parts.path.removeprefix("/")) or DEFAULT_DATABASE
    if _BAD_DATABASE.search(database) or len(database.encode()) > 63:
        raise ConfigurationError(
            f"invalid MongoDB database name {database!r} in the URL path: use at most 63 "
            'bytes and none of / \\ . space " $ * < > : | ? NUL'
        )
    query = {name.lower(): value for name, value in parse_qsl(parts.query, keep_blank_values=True)}
    if query.get("w") == "0":
        raise ConfigurationError(
            "w=0 (unacknowledged writes) cannot tell a duplicate or a deletion: remove it"
        )
    given = set(query)
    options: dict[str, Any] = {"tz_aware": True, "connect": False, "appname": "sessionjar"}
    if "appname" in given:
        del options["appname"]
    for name, value in _DEFAULTS.items():
        if not given.intersection(_SUPERSEDED_BY.get(name, (name.lower(),))):
            options[name] = value
    return ClientSettings(url=url, database=database, options=options)


@contextmanager
def strict_options() -> Iterator[None]:
    """Raise `ConfigurationError` for the URL options pymongo only warns about and ignores.

    pymongo drops an unknown option or an invalid value (``tls=ture``) with a
    `UserWarning`; a session store must not run with a setting silently dropped.
    Warnings are recorded process-wide while the block runs (microseconds, at open).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield
    for warning in caught:
        if issubclass(warning.category, UserWarning) and "pymongo" in warning.filename:
            raise ConfigurationError(f"invalid MongoDB URL option: {warning.message}")
