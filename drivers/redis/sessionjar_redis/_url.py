"""Parsing of ``redis://``, ``rediss://``, ``unix://`` and ``redis+cluster://`` store URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

from sessionjar.drivers import int_option, query_options, seconds_option
from sessionjar.errors import ConfigurationError

__all__ = ["SCHEMES", "DEFAULT_BUCKETS", "DEFAULT_TIMEOUT", "RedisOptions", "parse_url"]

SCHEMES: Final = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")
"""The URL schemes the driver handles."""

DEFAULT_BUCKETS: Final = 16
"""How many slot groups a cluster namespace is spread over unless ``?buckets=`` says."""

_CONNECTION_OPTIONS: Final = frozenset(
    {"timeout", "socket_timeout", "socket_connect_timeout", "max_connections",
     "health_check_interval", "client_name"}
)  # fmt: skip
_TLS_OPTIONS: Final = frozenset(
    {"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_check_hostname"}
)
_CERT_REQS: Final = frozenset({"none", "optional", "required"})
DEFAULT_TIMEOUT: Final = 5.0
"""Seconds one call may take unless ``?timeout=`` says (see `RedisOptions.timeout`)."""
_MAX_TIMEOUT: Final = 600.0


@dataclass(frozen=True, kw_only=True)
class RedisOptions:
    """What a store URL says: where the server is and how to talk to it."""

    cluster: bool
    """Whether the URL names a Redis Cluster."""
    nodes: tuple[tuple[str, int], ...] = ()
    """``(host, port)`` of the server, or of the cluster's startup nodes; empty for a socket."""
    buckets: int = 1
    """How many slot groups the namespace's sessions are spread over (1 unless cluster)."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one call may take, connecting included, before `StorageUnavailable`; also
    the default of the socket timeouts (a share of it on a cluster), which bound the
    waits of the sync store."""
    client_kwargs: dict[str, object] = field(default_factory=dict)
    """Keyword arguments of the redis-py client, except the address."""

    def describe(self) -> str:
        """Return the server's address for messages, without credentials."""
        if path := self.client_kwargs.get("unix_socket_path"):
            return f"unix:{path}"
        return ",".join(f"{host}:{port}" for host, port in self.nodes)


def parse_url(url: str) -> RedisOptions:
    """Return the options a store URL states.

    Raises:
        ConfigurationError: the URL is malformed or has an unknown or bad option.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a store URL must be a str, not {type(url).__name__}")
    scheme = url.partition("://")[0].lower()
    if scheme not in SCHEMES:
        raise ConfigurationError(f"the redis driver cannot open {scheme!r} URLs")
    cluster = scheme.endswith("+cluster")
    tls = scheme.startswith("rediss")
    allowed = _CONNECTION_OPTIONS | (_TLS_OPTIONS if tls else frozenset())
    allowed |= {"buckets"} if cluster else {"db"}
    options = query_options(url, allowed)
    timeout = seconds_option(options, "timeout", DEFAULT_TIMEOUT, maximum=_MAX_TIMEOUT)
    if scheme == "unix":
        kwargs = _connection_kwargs(options, timeout) | _tls_kwargs(options, tls)
        return _unix(url, options, kwargs, timeout)
    username, password, nodes = _netloc(url, multiple=cluster)
    # A cluster client that loses a node re-reads the slot map from each startup node
    # before it gives up: each wait gets its share of the timeout.
    wait = timeout / (1 + len(nodes)) if cluster else timeout
    kwargs = _connection_kwargs(options, wait) | _tls_kwargs(options, tls)
    kwargs |= {"username": username, "password": password}
    path = urlsplit(url).path.strip("/")
    if cluster:
        if path not in ("", "0"):
            raise ConfigurationError("a Redis Cluster has only database 0")
        buckets = int_option(options, "buckets", DEFAULT_BUCKETS, minimum=1, maximum=128)
        # The URL's nodes only: a known count of waits (the async store lifts this).
        kwargs["dynamic_startup_nodes"] = False
        return RedisOptions(
            cluster=True, nodes=nodes, buckets=buckets, timeout=timeout, client_kwargs=kwargs
        )
    kwargs["db"] = _db(path or options.get("db", "0"))
    return RedisOptions(cluster=False, nodes=nodes, timeout=timeout, client_kwargs=kwargs)


def _unix(
    url: str, options: dict[str, str], kwargs: dict[str, object], timeout: float
) -> RedisOptions:
    parts = urlsplit(url)
    if not parts.path:
        raise ConfigurationError("a unix:// URL needs the socket's path: unix:///path/to/sock")
    kwargs |= {
        "unix_socket_path": unquote(parts.path),
        "username": _unquoted(parts.username),
        "password": _unquoted(parts.password),
        "db": _db(options.get("db", "0")),
    }
    return RedisOptions(cluster=False, timeout=timeout, client_kwargs=kwargs)


def _netloc(
    url: str, *, multiple: bool
) -> tuple[str | None, str | None, tuple[tuple[str, int], ...]]:
    netloc = urlsplit(url).netloc
    userinfo, _, hosts = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    names = hosts.split(",") if hosts else ["localhost"]
    if len(names) > 1 and not multiple:
        raise ConfigurationError("only a redis+cluster:// URL can name several hosts")
    nodes = tuple(_host_port(name) for name in names)
    return _unquoted(user or None), _unquoted(password or None), nodes


def _host_port(text: str) -> tuple[str, int]:
    try:
        parts = urlsplit(f"//{text}")
        port = parts.port or 6379
    except ValueError as exc:
        raise ConfigurationError(f"bad host or port {text!r} in the store URL") from exc
    return parts.hostname or "localhost", port


def _connection_kwargs(options: dict[str, str], wait: float) -> dict[str, object]:
    kwargs: dict[str, object] = {
        "socket_timeout": seconds_option(options, "socket_timeout", wait),
        "socket_connect_timeout": seconds_option(options, "socket_connect_timeout", wait),
    }
    if "max_connections" in options:
        kwargs["max_connections"] = int_option(
            options, "max_connections", 0, minimum=1, maximum=100_000
        )
    if "health_check_interval" in options:
        kwargs["health_check_interval"] = int_option(
            options, "health_check_interval", 0, minimum=0, maximum=86_400
        )
    if "client_name" in options:
        kwargs["client_name"] = options["client_name"]
    return kwargs


def _tls_kwargs(options: dict[str, str], tls: bool) -> dict[str, object]:
    if not tls:
        return {}
    kwargs: dict[str, object] = {"ssl": True}
    reqs = options.get("ssl_cert_reqs", "required")
    if reqs not in _CERT_REQS:
        raise ConfigurationError(
            f"option ssl_cert_reqs={reqs!r} must be one of {sorted(_CERT_REQS)}"
        )
    kwargs["ssl_cert_reqs"] = reqs
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        if name in options:
            kwargs[name] = options[name]
    check = options.get("ssl_check_hostname", "true").lower()
    if check not in ("true", "false"):
        raise ConfigurationError(f"option ssl_check_hostname={check!r} must be true or false")
    kwargs["ssl_check_hostname"] = check == "true"
    return kwargs


def _db(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 1_000_000:
        raise ConfigurationError(f"bad database number {text!r} in the store URL")
    return int(text)


def _unquoted(text: str | None) -> str | None:
    return unquote(text) if text else None
