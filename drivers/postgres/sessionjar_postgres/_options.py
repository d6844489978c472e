"""Options of a ``postgresql://`` store URL: the driver's own, and the rest for libpq."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote, urlsplit

from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict

from sessionjar.drivers import int_option, seconds_option
from sessionjar.errors import ConfigurationError

__all__ = ["SCHEMES", "DEFAULT_TIMEOUT", "PostgresOptions", "parse_url"]

SCHEMES: Final = ("postgresql", "postgres")
"""The URL schemes of the driver; libpq reads both."""

DEFAULT_CONNECT_TIMEOUT: Final = 5
"""Seconds libpq waits for a connection when the URL sets no ``connect_timeout``."""

DEFAULT_TIMEOUT: Final = 5.0
"""Seconds one call of the store may take in all when the URL sets no ``timeout``."""

_SCHEMA_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_OWN: Final = frozenset(
    {
        "schema",
        "pool_min_size",
        "pool_max_size",
        "timeout",
        "auto_migrate",
        "prepare_threshold",
        "delete_batch_size",
    }
)
_BOOLEANS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True, slots=True, kw_only=True)
class PostgresOptions:
    """What a store URL asks of the driver."""

    conninfo: str
    """The URL libpq connects with: the store URL without the driver's own options."""
    where: str
    """``host:port/dbname`` for messages (never the password)."""
    schema: str = "public"
    """Schema that holds the tables (``?schema=``)."""
    pool_min_size: int = 1
    """Connections the pool keeps open (``?pool_min_size=``)."""
    pool_max_size: int = 10
    """Most connections the pool opens (``?pool_max_size=``)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one call may take in all (``?timeout=``): the wait for a pooled connection
    and every round trip; past it the connection is closed and the call fails."""
    auto_migrate: bool = True
    """Run the migration on first use (``?auto_migrate=false`` leaves it to deploys)."""
    prepare_threshold: int | None = 5
    """Executions before psycopg prepares a statement; ``none`` never (PgBouncer)."""
    delete_batch_size: int = 1000
    """Rows `delete_expired` deletes per statement, so that no lock is held long."""


def parse_url(url: str) -> PostgresOptions:
    """Split a store URL into the driver's options and the libpq connection URL.

    Raises:
        ConfigurationError: an unknown scheme, a malformed option value, or a URL
            libpq rejects.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise ConfigurationError(f"not a PostgreSQL URL: scheme {parts.scheme!r}")
    if parts.fragment:
        raise ConfigurationError("a store URL cannot have a #fragment")
    own, kept = _split_query(parts.query)
    if not any(pair.startswith("connect_timeout=") for pair in kept):
        kept.append(f"connect_timeout={DEFAULT_CONNECT_TIMEOUT}")
    # Not urlunsplit: it drops the "//" of an empty host (postgresql:///db?host=/socket).
    conninfo = f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(kept)}"
    try:
        params = conninfo_to_dict(conninfo)
    except ProgrammingError as exc:
        raise ConfigurationError(f"invalid PostgreSQL URL: {exc}") from exc
    options = PostgresOptions(
        conninfo=conninfo,
        where=_where(params),
        schema=_schema(own.get("schema", "public")),
        pool_min_size=int_option(own, "pool_min_size", 1, minimum=0, maximum=1000),
        pool_max_size=int_option(own, "pool_max_size", 10, minimum=1, maximum=1000),
        timeout=seconds_option(own, "timeout", DEFAULT_TIMEOUT),
        auto_migrate=_boolean(own, "auto_migrate", True),
        prepare_threshold=_threshold(own.get("prepare_threshold", "5")),
        delete_batch_size=int_option(own, "delete_batch_size", 1000, minimum=1, maximum=1_000_000),
    )
    if options.pool_min_size > options.pool_max_size:
        raise ConfigurationError("pool_min_size cannot be larger than pool_max_size")
    return options


def _split_query(query: str) -> tuple[dict[str, str], list[str]]:
    """Return the driver's options, and the other ``name=value`` pairs untouched."""
    own: dict[str, str] = {}
    kept: list[str] = []
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        name = unquote(name)
        if name not in _OWN:
            kept.append(pair)
        elif name in own:
            raise ConfigurationError(f"option {name!r} is given twice in the store URL")
        else:
            own[name] = unquote(value)
    return own, kept


def _where(params: Mapping[str, object]) -> str:
    host = params.get("host") or params.get("hostaddr") or "localhost"
    return f"{host}:{params.get('port') or 5432}/{params.get('dbname') or '(default)'}"


def _schema(name: str) -> str:
    if not _SCHEMA_RE.fullmatch(name):
        raise ConfigurationError(
            f"option schema={name!r} must be 1-63 letters, digits or '_', not starting "
            "with a digit"
        )
    return name


def _boolean(options: dict[str, str], name: str, default: bool) -> bool:
    text = options.get(name)
    if text is None:
        return default
    if text.lower() not in _BOOLEANS:
        raise ConfigurationError(f"option {name}={text!r} must be true or false")
    return _BOOLEANS[text.lower()]


def _threshold(text: str) -> int | None:
    if text.lower() == "none":
        return None
    return int_option(
        {"prepare_threshold": text}, "prepare_threshold", 5, minimum=0, maximum=1_000_000
    )
