"""Framework-neutral decisions of the web layer, shared by the Flask and ASGI adapters.

The adapters only move bytes: they read headers and cookies into these functions and
write back the headers these functions return. Every choice lives here — which token
transfer a request uses, what a cookie looks like, whether an anti-CSRF check passes,
which response a session error becomes — so that Flask and Starlette behave alike.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Final, Generic, Literal, Protocol, TypedDict, TypeVar

from sessionjar._web_errors import ErrorReply, default_error_reply
from sessionjar.errors import (
    AntiCsrfCheckFailed,
    ConfigurationError,
    SessionjarError,
    SessionRequired,
)

__all__ = [
    "ErrorReply",
    "default_error_reply",
    "WebOptions",
    "WebConfig",
    "RequestState",
    "session_cookies",
    "read_request",
    "read_refresh_token",
    "access_token_to_verify",
    "check_anti_csrf",
    "anti_csrf_token_needed",
    "check_anti_csrf_token",
    "check_refresh_anti_csrf",
    "response_headers",
    "Transfer",
]

Transfer = Literal["cookie", "header"]
SameSite = Literal["lax", "strict", "none"]
AntiCsrf = Literal["none", "custom_header", "token"]

AUTH_MODE_HEADER: Final = "auth-mode"
"""Request header a client sets to ``header`` or ``cookie`` to pick the token transfer."""
ACCESS_HEADER: Final = "access-token"
"""Response header carrying a new access token in header mode (empty: drop it)."""
REFRESH_HEADER: Final = "refresh-token"
"""Response header carrying a new refresh token in header mode (empty: drop it)."""
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_COOKIE_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ATTRIBUTE_VALUE: Final = re.compile(r"[\x21-\x3a\x3c-\x7e]+")  # printable, no ';'


class WebOptions(TypedDict, total=False):
    """Keyword options of the adapters; see `WebConfig` for each one's meaning."""

    transfer: Literal["any", "cookie", "header"]
    refresh_path: str
    signout_path: str
    access_cookie_name: str
    refresh_cookie_name: str
    access_cookie_path: str
    cookie_secure: bool
    cookie_samesite: SameSite
    cookie_domain: str | None
    anti_csrf: AntiCsrf | None
    anti_csrf_header: str
    error_reply: Callable[[SessionjarError], ErrorReply | None]
    serve_jwks: bool
    jwks_path: str
    trusted_proxies: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WebConfig:
    """Resolved, validated options of the web layer.

    Raises:
        ConfigurationError: for a path, name or domain that cannot go in a header,
            one name for both cookies, ``SameSite=None`` without ``Secure``, or a
            ``__Host-``/``__Secure-`` cookie name whose cookie browsers would refuse.
    """

    transfer: Literal["any", "cookie", "header"] = "any"
    """Which transfers are accepted; ``any`` picks one per request."""
    refresh_path: str = "/auth/session/refresh"
    """Path of the built-in refresh route (POST), within the app; the refresh cookie is
    scoped to it, below the path the app is mounted at."""
    signout_path: str = "/auth/signout"
    """Path of the built-in sign-out route (POST), within the app."""
    access_cookie_name: str = "sAccessToken"
    """Name of the access-token cookie."""
    refresh_cookie_name: str = "sRefreshToken"
    """Name of the refresh-token cookie (HttpOnly, ``Path`` = mount path + ``refresh_path``)."""
    access_cookie_path: str = "/"
    """``Path`` of the access-token cookie, as the browser sees it (not below the mount
    path: other apps on the host may verify the token too)."""
    cookie_secure: bool = True
    """Set ``Secure`` on every cookie (browsers treat ``http://localhost`` as secure)."""
    cookie_samesite: SameSite = "lax"
    """``SameSite`` of every cookie."""
    cookie_domain: str | None = None
    """``Domain`` of every cookie; `None` keeps cookies on the exact host."""
    anti_csrf: AntiCsrf | None = None
    """Anti-CSRF check in cookie mode; `None` derives it: ``custom_header`` when
    ``SameSite=None``, else ``none`` (Lax and Strict cookies are not sent cross-site)."""
    anti_csrf_header: str = "anti-csrf"
    """Request header of the check (any value in ``custom_header`` mode); in ``token``
    mode also the response header that hands the token to the client (the manager's
    `anti_csrf_token`, derived from its refresh key: no option of its own)."""
    error_reply: Callable[[SessionjarError], ErrorReply | None] = default_error_reply
    """Maps a session error to its response; replace it to change the whole mapping."""
    serve_jwks: bool = False
    """Serve the JWKS (the public keys that verify access tokens) at ``jwks_path`` (GET),
    so that other services verify our tokens with any JWT library."""
    jwks_path: str = "/.well-known/jwks.json"
    """Path of the JWKS route, within the app; served with ``serve_jwks``."""
    trusted_proxies: int = 0
    """How many proxies in front of the app append the address they saw to
    ``X-Forwarded-For``: the client's IP address recorded for its device is the entry
    that many places from the right. 0 (the default) ignores the header, which any
    client can write, and records the socket's peer."""

    def __post_init__(self) -> None:
        if type(self.trusted_proxies) is not int or self.trusted_proxies < 0:
            raise ConfigurationError("trusted_proxies must be an int >= 0")
        for name in ("access_cookie_name", "refresh_cookie_name", "anti_csrf_header"):
            if not _COOKIE_NAME.fullmatch(getattr(self, name)):
                raise ConfigurationError(f"{name} must be a non-empty HTTP token")
        if self.access_cookie_name == self.refresh_cookie_name:
            # the cookies are told apart by name: one name would scope both to refresh_path
            raise ConfigurationError("refresh_cookie_name must differ from access_cookie_name")
        for name in ("refresh_path", "signout_path", "access_cookie_path", "jwks_path"):
            value = getattr(self, name)
            if not value.startswith("/") or not _ATTRIBUTE_VALUE.fullmatch(value):
                raise ConfigurationError(f"{name} must be an absolute path without ';'")
        if self.cookie_domain is not None and not _ATTRIBUTE_VALUE.fullmatch(self.cookie_domain):
            raise ConfigurationError("cookie_domain must be a host name without ';'")
        if self.cookie_samesite == "none" and not self.cookie_secure:
            raise ConfigurationError("cookie_samesite='none' needs cookie_secure=True")
        _check_prefixes(self)
        if self.anti_csrf is None:
            derived = "custom_header" if self.cookie_samesite == "none" else "none"
            object.__setattr__(self, "anti_csrf", derived)


def _check_prefixes(config: WebConfig) -> None:
    """Refuse cookie names whose prefix the other options break: browsers drop such
    cookies without a word, so sign-in would silently fail (RFC 6265bis §4.1.3)."""
    paths = {
        "access_cookie_name": config.access_cookie_path,
        "refresh_cookie_name": None,  # scoped below refresh_path, never "/"
    }
    for option, path in paths.items():
        name: str = getattr(config, option)
        lowered = name.lower()  # browsers match the prefixes case-insensitively
        if lowered.startswith("__secure-") and not config.cookie_secure:
            raise ConfigurationError(
                f"{option} {name!r}: browsers refuse a __Secure- cookie without Secure; "
                "set cookie_secure=True or drop the prefix"
            )
        if lowered.startswith("__host-"):
            _check_host_prefix(config, option, name, path)


def _check_host_prefix(config: WebConfig, option: str, name: str, path: str | None) -> None:
    why = f"{option} {name!r}: browsers refuse a __Host- cookie"
    if not config.cookie_secure:
        raise ConfigurationError(f"{why} without Secure; set cookie_secure=True")
    if config.cookie_domain is not None:
        raise ConfigurationError(f"{why} with a Domain; set cookie_domain=None")
    if path is None:
        raise ConfigurationError(
            f"{why} whose Path is not '/', and the refresh cookie is scoped to "
            "refresh_path; use the __Secure- prefix for it"
        )
    if path != "/":
        raise ConfigurationError(f"{why} whose Path is not '/'; set access_cookie_path='/'")


class Headers(Protocol):
    """Case-insensitive request headers, as every framework offers them."""

    def get(self, key: str, /) -> str | None:
        """Return the header's value, or `None`."""


class SessionView(Protocol):
    """What the web layer reads of a `Session` or `AsyncSession`."""

    @property
    def access_token(self) -> str:
        """The current access token."""

    @property
    def refresh_token(self) -> str | None:
        """The new refresh token after create or refresh; `None` after verification."""

    @property
    def revoked(self) -> bool:
        """Whether the handler revoked the session."""


S = TypeVar("S", bound=SessionView)


@dataclass(slots=True, eq=False)
class RequestState(Generic[S]):
    """What the web layer knows of one request; lives on the request, never shared."""

    transfer: Transfer
    """Where tokens for this request are read from and written to."""
    token: str | None
    """The token the request carried: its access token, or on the refresh route its
    refresh token."""
    had_cookies: bool = False
    """Whether the request carried any of our cookies (then clearing writes cookies)."""
    session: S | None = None
    """The session once verified, created or refreshed."""
    database_checked: bool = False
    """Whether ``session`` was checked against the store."""
    clear: bool = False
    """Whether the response clears the client's tokens."""
    anti_csrf_token: str | None = None
    """The new session's anti-CSRF token, handed to the client with its cookies
    (``token`` mode)."""
    mount_path: str = ""
    """Where the app is mounted (ASGI ``root_path``, WSGI ``SCRIPT_NAME``), so that the
    refresh cookie reaches the refresh route; set with `mounted_at`."""

    def mounted_at(self, path: str) -> None:
        """Record the app's mount path; one that cannot go in a cookie is ignored."""
        path = path.rstrip("/")
        self.mount_path = path if path.startswith("/") and _ATTRIBUTE_VALUE.fullmatch(path) else ""


def _bearer(headers: Headers) -> str | None:
    value = headers.get("authorization")
    if not value:  # the common case, a cookie-borne request, returns here
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def session_cookies(
    config: WebConfig, header: str | None, *, refresh: bool = True
) -> dict[str, str]:
    """Return the access and refresh cookies found in a ``Cookie`` request header.

    Only those two names are read, and of each the first: browsers send the cookie of
    the most specific path first. Parsing the whole header as frameworks do costs more
    than verifying a cached token.

    Args:
        refresh: with `False`, the refresh cookie is looked for only when there is no
            access cookie (away from the refresh route it only tells that the request
            carried our cookies, which the access cookie already tells).
    """
    found: dict[str, str] = {}
    if header and config.transfer != "header":
        access = _cookie(header, config.access_cookie_name)
        if access is not None:
            found[config.access_cookie_name] = access
        if refresh or access is None:
            value = _cookie(header, config.refresh_cookie_name)
            if value is not None:
                found[config.refresh_cookie_name] = value
    return found


def _cookie(header: str, name: str) -> str | None:
    """Return the value of the first cookie ``name`` in a Cookie header, or `None`."""
    pair = f"{name}="
    start = header.find(pair)
    while start >= 0:
        if start == 0 or header[start - 1] in "; \t":  # a whole name, not a suffix
            end = header.find(";", start)
            return header[start + len(pair) : None if end < 0 else end].strip()
        start = header.find(pair, start + 1)
    return None


def read_request(
    config: WebConfig, headers: Headers, cookies: Mapping[str, str]
) -> RequestState[S]:
    """Return the state of a new request: its access token and its token transfer.

    A bearer token wins over a cookie (as in SuperTokens); a request carrying neither
    picks the transfer for a session it may create with the ``auth-mode`` header,
    defaulting to cookies.
    """
    had_cookies = config.transfer != "header" and (
        config.access_cookie_name in cookies or config.refresh_cookie_name in cookies
    )
    bearer = _bearer(headers) if config.transfer != "cookie" else None
    if bearer is not None:
        return RequestState("header", bearer, had_cookies)
    cookie = cookies.get(config.access_cookie_name) if config.transfer != "header" else None
    if cookie:
        return RequestState("cookie", cookie, had_cookies)
    return RequestState(_chosen_transfer(config, headers), None, had_cookies)


def _chosen_transfer(config: WebConfig, headers: Headers) -> Transfer:
    if config.transfer != "any":
        return config.transfer
    return "header" if (headers.get(AUTH_MODE_HEADER) or "").lower() == "header" else "cookie"


def read_refresh_token(
    config: WebConfig, headers: Headers, cookies: Mapping[str, str]
) -> RequestState[S]:
    """Return the state of a refresh request, whose ``token`` is its refresh token.

    In header mode the client sends the refresh token as its bearer token.
    """
    state: RequestState[S] = read_request(config, headers, cookies)
    if state.transfer == "header":
        return state
    cookie = cookies.get(config.refresh_cookie_name) if config.transfer != "header" else None
    return RequestState("cookie", cookie or None, state.had_cookies)


def access_token_to_verify(
    config: WebConfig,
    state: RequestState[S],
    method: str,
    headers: Headers,
    *,
    required: bool,
    check_database: bool,
) -> str | None:
    """Return the access token a session lookup must verify, or `None` when there is
    nothing to verify: ``state.session`` is then the session (the one verified earlier
    in the request, or `None` for an absent optional session); its claims still need
    checking with the lookup's validators.

    A session verified earlier is verified again only to check the database, if it was
    not checked yet.

    Raises:
        SessionRequired: no token and ``required``.
        AntiCsrfCheckFailed: the custom-header check fails (it needs no handle).
    """
    if state.session is not None:
        checked = state.database_checked or not check_database
        return None if checked else state.session.access_token
    if state.token is None:
        if required:
            raise SessionRequired("the request carries no session token")
        return None
    check_anti_csrf(config, state, method, headers)
    return state.token


def _unsafe_cookie_request(state: RequestState[S], method: str) -> bool:
    return state.transfer == "cookie" and method.upper() not in SAFE_METHODS


def check_anti_csrf(
    config: WebConfig, state: RequestState[S], method: str, headers: Headers
) -> None:
    """Check a cookie-borne request with an unsafe method in ``custom_header`` mode.

    The header must be present, whatever its value. ``token`` mode is checked once the
    session is known (see `anti_csrf_token_needed`).

    Raises:
        AntiCsrfCheckFailed: the header is missing.
    """
    if config.anti_csrf != "custom_header" or not _unsafe_cookie_request(state, method):
        return
    if not headers.get(config.anti_csrf_header):
        raise AntiCsrfCheckFailed(f"the {config.anti_csrf_header!r} header is missing")


def anti_csrf_token_needed(config: WebConfig, state: RequestState[S], method: str) -> bool:
    """Tell whether the request must send its session's anti-CSRF token (``token`` mode)."""
    return config.anti_csrf == "token" and _unsafe_cookie_request(state, method)


def check_anti_csrf_token(config: WebConfig, headers: Headers, expected: str) -> None:
    """Check that the request sends ``expected``, its session's anti-CSRF token.

    Raises:
        AntiCsrfCheckFailed: the header is missing or holds another token.
    """
    sent = headers.get(config.anti_csrf_header) or ""
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AntiCsrfCheckFailed(f"the {config.anti_csrf_header!r} header is wrong")


def check_refresh_anti_csrf(config: WebConfig, state: RequestState[S], headers: Headers) -> None:
    """Check a cookie-borne refresh: in both checked modes the header must be present.

    The handle is only known after rotating, so ``token`` mode asks what
    ``custom_header`` asks: a header that a cross-site form cannot send.

    Raises:
        AntiCsrfCheckFailed: the header is missing.
    """
    checked = state.transfer == "cookie" and config.anti_csrf != "none"
    if checked and not headers.get(config.anti_csrf_header):
        raise AntiCsrfCheckFailed(f"the {config.anti_csrf_header!r} header is missing")


def response_headers(
    config: WebConfig, state: RequestState[S], max_age: timedelta
) -> list[tuple[str, str]]:
    """Return the headers that bring the client's tokens in line with the request's state.

    Cleared tokens (an error, a sign-out, or a session the handler revoked), a new
    session (both tokens) or a new access token (after a payload update) each come with
    ``Cache-Control: no-store``, and, when cookies are written, ``Vary: Cookie`` (a
    shared cache must not hand one client's cookies to another); otherwise nothing is
    written.
    Cookies live ``max_age`` (the refresh-token validity) from now, so that an expired
    access token is still sent and answered with "try refresh".
    """
    session = state.session
    if state.clear or (session is not None and session.revoked):
        written = _clear(config, state)
    elif session is None:
        return []
    elif session.refresh_token is not None:
        written = _tokens(config, state, session, session.refresh_token, max_age)
    elif session.access_token != state.token:
        written = _tokens(config, state, session, None, max_age)
    else:
        return []
    if not written:
        return []
    written.append(("Cache-Control", "no-store"))
    if any(name == "Set-Cookie" for name, _ in written):
        written.append(("Vary", "Cookie"))
    return written


def _tokens(
    config: WebConfig,
    state: RequestState[S],
    session: SessionView,
    refresh_token: str | None,
    max_age: timedelta,
) -> list[tuple[str, str]]:
    if state.transfer == "header":
        written = [(ACCESS_HEADER, session.access_token)]
        if refresh_token is not None:
            written.append((REFRESH_HEADER, refresh_token))
        return [*written, _expose()]
    written = [
        _set_cookie(config, state, config.access_cookie_name, session.access_token, max_age)
    ]
    if refresh_token is not None:
        written.append(
            _set_cookie(config, state, config.refresh_cookie_name, refresh_token, max_age)
        )
        if state.anti_csrf_token is not None:
            written.append((config.anti_csrf_header, state.anti_csrf_token))
            written.append(("Access-Control-Expose-Headers", config.anti_csrf_header))
    return written


def _expose() -> tuple[str, str]:
    return ("Access-Control-Expose-Headers", f"{ACCESS_HEADER}, {REFRESH_HEADER}")


def _clear(config: WebConfig, state: RequestState[S]) -> list[tuple[str, str]]:
    written = []
    if state.had_cookies:
        written += [
            _set_cookie(config, state, config.access_cookie_name, "", None),
            _set_cookie(config, state, config.refresh_cookie_name, "", None),
        ]
    if state.transfer == "header":
        written += [(ACCESS_HEADER, ""), (REFRESH_HEADER, ""), _expose()]
    return written


def _set_cookie(
    config: WebConfig,
    state: RequestState[S],
    name: str,
    value: str,
    max_age: timedelta | None,
) -> tuple[str, str]:
    """Return a Set-Cookie header; ``max_age=None`` clears the cookie."""
    if name == config.refresh_cookie_name:
        path = state.mount_path + config.refresh_path
    else:
        path = config.access_cookie_path
    parts = [f"{name}={value}", f"Path={path}"]
    if config.cookie_domain is not None:
        parts.append(f"Domain={config.cookie_domain}")
    if max_age is None:
        parts.append(f"Expires={format_datetime(_EPOCH, usegmt=True)}; Max-Age=0")
    else:
        parts.append(f"Max-Age={int(max_age.total_seconds())}")
    parts.append("HttpOnly")
    if config.cookie_secure:
        parts.append("Secure")
    parts.append(f"SameSite={config.cookie_samesite.capitalize()}")
    return ("Set-Cookie", "; ".join(parts))
