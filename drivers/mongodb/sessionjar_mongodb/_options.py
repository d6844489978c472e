"""Options of a ``mongodb://`` or ``mongodb+srv://`` store URL: the driver's own, and pymongo's."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from sessionjar import ConfigurationError

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TIMEOUT_MS",
    "ACCEPT_NON_ATOMIC",
    "MongoOptions",
    "parse_url",
    "strict_options",
]

DEFAULT_DATABASE: Final = "sessionjar"
"""Database used when the URL's path names none."""

DEFAULT_TIMEOUT_MS: Final = 5_000
"""pymongo's ``timeoutMS`` when the URL sets neither it nor ``socketTimeoutMS``."""

ACCEPT_NON_ATOMIC: Final = "accept_non_atomic_updates"
"""The driver's own URL option: ``=true`` accepts a server whose updates are not atomic."""

# pymongo's own defaults wait 30 s for a server and forever for a reply; a session store
# must fail closed quickly instead. timeoutMS bounds a whole operation: server selection,
# connection checkout, every round trip and pymongo's retries. The URL can set any of these.
_DEFAULTS: Final[dict[str, int]] = {
    "timeoutMS": DEFAULT_TIMEOUT_MS,
    "serverSelectionTimeoutMS": DEFAULT_TIMEOUT_MS,
    "connectTimeoutMS": DEFAULT_TIMEOUT_MS,
}
# A URL that sets socketTimeoutMS chose pymongo's older per-socket model instead.
_SUPERSEDED_BY: Final = {"timeoutMS": ("timeoutms", "sockettimeoutms")}
_BOOLEANS: Final = {"true": True, "false": False}
_BAD_DATABASE: Final = re.compile(r'[/\\. "$*<>:|?\x00]')


@dataclass(frozen=True, slots=True)
class MongoOptions:
    """What a store URL asks of the driver and of pymongo's client."""

    url: str
    """The URL for pymongo: the store URL without the driver's own option."""
    database: str
    """Name of the database that holds the store's collections."""
    options: dict[str, Any]
    """Keyword arguments for the client, beside the URL."""
    accept_non_atomic: bool = False
    """``?accept_non_atomic_updates=true``: use a server whose single-document updates
    are not atomic (FerretDB v1), accepting lost updates under concurrency."""


def parse_url(url: str) -> MongoOptions:
    """Return the options of a store URL.

    The database is the URL's path (``mongodb://host/mydb``), `DEFAULT_DATABASE` if it
    has none. ``accept_non_atomic_updates`` is the driver's; every other URL option is
    pymongo's. ``timeoutMS`` (one whole operation), ``serverSelectionTimeoutMS`` and
    ``connectTimeoutMS``, which pymongo would leave unbounded or at 30 s, default to 5 s.

    Raises:
        ConfigurationError: the scheme is not ``mongodb`` or ``mongodb+srv``, the
            path is not a valid database name, ``w=0`` asks for unacknowledged writes,
            or ``accept_non_atomic_updates`` is not true or false.
    """
    url, accept = _take_own_option(url)
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
    return MongoOptions(url=url, database=database, options=options, accept_non_atomic=accept)


def _take_own_option(url: str) -> tuple[str, bool]:
    """Return the URL without ``accept_non_atomic_updates``, and its value."""
    base, _, query = url.partition("?")
    pairs = [pair for pair in query.split("&") if pair]
    own = [pair for pair in pairs if pair.partition("=")[0] == ACCEPT_NON_ATOMIC]
    if not own:
        return url, False
    values = [pair.partition("=")[2].lower() for pair in own]
    if len(own) > 1 or values[0] not in _BOOLEANS:
        raise ConfigurationError(f"option {ACCEPT_NON_ATOMIC} must be given once, true or false")
    kept = "&".join(pair for pair in pairs if pair not in own)
    return (f"{base}?{kept}" if kept else base), _BOOLEANS[values[0]]


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
