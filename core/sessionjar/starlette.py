"""Sessions for Starlette apps: a middleware and request helpers (async API).

Imports Starlette only, never FastAPI; `sessionjar.fastapi` adds a FastAPI dependency.

    app = Starlette(routes=..., middleware=[Middleware(SessionMiddleware, manager=manager)])

    async def profile(request):
        session = await get_session(request)
        return JSONResponse({"user": session.get_user_id()})
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Final, Literal, Unpack, overload

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from sessionjar._types import JSONObject
from sessionjar._web import ErrorReply, WebConfig, WebOptions, default_error_reply
from sessionjar._web_flow_async import AsyncWebFlow, AsyncWebRequest
from sessionjar._web_jwks import JwksReply
from sessionjar.errors import (
    AntiCsrfCheckFailed,
    ConfigurationError,
    SessionjarError,
    SessionRequired,
    TokenTheftDetected,
)

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from sessionjar.claims import ValidatorsOverride
    from sessionjar.manager_async import AsyncSessionManager
    from sessionjar.session_async import AsyncSession

__all__ = [
    "SessionMiddleware",
    "get_session",
    "create_new_session",
    "revoke_session",
    "handle_error",
    "TheftHook",
    "WebOptions",
    "ErrorReply",
    "default_error_reply",
    "SessionRequired",
    "AntiCsrfCheckFailed",
]

TheftHook = Callable[[Request, TokenTheftDetected], Awaitable[None] | None]
"""Called with the request when a refresh token was reused (the session is revoked)."""

_SCOPE_KEY: Final = "sessionjar"


class SessionMiddleware:
    """ASGI middleware that reads, issues and clears session tokens, and maps session errors.

    It serves the built-in routes (POST ``refresh_path`` rotates the tokens, POST
    ``signout_path`` revokes the session, and with ``serve_jwks`` GET ``jwks_path``
    returns the JWKS), writes tokens at ``http.response.start``
    when a handler created, refreshed, changed or revoked the session, and turns the
    session errors a handler raises into responses (see `handle_error`). Reading the
    request's tokens and verifying them are lazy: the first helper a handler calls does
    it, and a route that never asks costs the middleware next to nothing.

    It loads the manager's signing keys once the app's lifespan startup completes (a
    failure fails the startup), or, when the server runs no lifespan, on the first HTTP
    request (concurrent first requests load them once).

    Args:
        app: the wrapped ASGI app.
        manager: the session manager.
        on_token_theft: called when refresh-token reuse is detected, to record it.
        options: `sessionjar.starlette.WebOptions` (cookies, transfer, anti-CSRF,
            routes, error mapping).

    Raises:
        ConfigurationError: for inconsistent options.
    """

    def __init__(
        self,
        app: ASGIApp,
        manager: AsyncSessionManager,
        *,
        on_token_theft: TheftHook | None = None,
        **options: Unpack[WebOptions],
    ) -> None:
        self.app = app
        self.manager = manager
        self.config = WebConfig(**options)
        self.flow = AsyncWebFlow(manager, self.config)
        self.on_token_theft = on_token_theft

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI call: HTTP through the session flow, lifespan and others through."""
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._load_keys_on_startup(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = _path_in_app(scope), scope["method"]
        context = scope[_SCOPE_KEY] = _Context(self, method, path, scope)
        started = False

        async def send_with_tokens(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if context.begun is not None:  # else the request never touched its session
                    _add_headers(message, context.begun.response_headers())
            await send(message)

        try:
            if not self.flow.keys_ready:
                await self.flow.ensure_keys()
            route = self.flow.builtin_route(method, path)
            response: Response
            if route is not None:
                response = JSONResponse(await context.web.serve(route))
            elif self.flow.serves_jwks(method, path):
                response = _jwks_response(await self.flow.jwks(_ScopeHeaders(scope["headers"])))
            else:
                await self.app(scope, receive, send_with_tokens)
                return
        except SessionjarError as error:
            if started:
                raise
            response = await handle_error(Request(scope), error)
        await response(scope, receive, send_with_tokens)

    def _load_keys_on_startup(self, send: Send) -> Send:
        async def send_after_loading(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                # raising here makes Starlette report a failed startup
                await self.flow.ensure_keys()
            await send(message)

        return send_after_loading


def _jwks_response(reply: JwksReply) -> Response:
    return Response(reply.body, reply.status, headers=dict(reply.headers))


class _ScopeHeaders:
    """The request headers, each looked up in the scope's raw list when the flow asks:
    the flow reads two or three, not worth decoding them all. Repeated lines of a name
    are joined in order, with ", " as WSGI servers and Django do (``"; "`` for cookies,
    as HTTP/2 splits them): a proxy may add its own ``X-Forwarded-For`` line below the
    client's, and the client must not choose which one is read."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw

    def get(self, key: str, /) -> str | None:
        wanted = _RAW_NAMES.get(key) or _raw_name(key)
        found: bytes | None = None
        for name, value in self._raw:
            if name == wanted:  # a plain loop: one match is the rule, no list to build
                found = value if found is None else found + _separator(wanted) + value
        return None if found is None else found.decode("latin-1")


_RAW_NAMES: Final[dict[str, bytes]] = {}
"""Header names the flow asks for, as they appear in ASGI scopes (a handful)."""


def _raw_name(key: str) -> bytes:
    name = key.lower().encode("latin-1")  # ASGI header names are lower-case
    if len(_RAW_NAMES) < 64:  # the flow's few names; never grows with client input
        _RAW_NAMES[key] = name
    return name


def _separator(name: bytes) -> bytes:
    return b"; " if name == b"cookie" else b", "


def _add_headers(message: Message, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    headers = MutableHeaders(scope=message)
    for name, value in pairs:
        if name == "Cache-Control":
            headers[name] = value  # replaces the app's: responses with tokens are never cached
        elif name == "Vary":
            headers.add_vary_header(value)
        else:
            headers.append(name, value)


class _Context:
    """What a request's helpers need: the middleware (its hook) and the request's flow.

    The flow begins (reads the request's tokens) when a helper first asks for it: a
    route that never touches the session pays for none of it. What it reads is taken
    from the scope now, as routing may rewrite the scope's paths further in.
    """

    __slots__ = ("_request", "begun", "middleware")

    def __init__(self, middleware: SessionMiddleware, method: str, path: str, scope: Scope):
        self.middleware = middleware
        self._request = (
            method,
            path,
            scope["headers"],
            scope.get("root_path", ""),
            scope.get("client"),
        )
        self.begun: AsyncWebRequest | None = None
        """The request's flow once begun; `None` while no helper asked for it."""

    @property
    def web(self) -> AsyncWebRequest:
        """The request's flow, begun on first use."""
        if self.begun is None:
            method, path, raw, mount_path, peer = self._request
            headers = _ScopeHeaders(raw)
            self.begun = self.middleware.flow.begin(
                method, path, headers, None, mount_path, peer[0] if peer else None
            )
        return self.begun


def _context(request: HTTPConnection) -> _Context:
    context = request.scope.get(_SCOPE_KEY)
    if not isinstance(context, _Context):
        raise ConfigurationError("sessionjar's SessionMiddleware is not installed on this app")
    return context


def _path_in_app(scope: Scope) -> str:
    # ASGI paths include root_path (as Starlette's router assumes); routes are the app's own.
    path: str = scope["path"]
    root: str = scope.get("root_path", "").rstrip("/")
    return path[len(root) :] if root and path.startswith(f"{root}/") else path


@overload
async def get_session(
    request: HTTPConnection,
    *,
    session_required: Literal[True] = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> AsyncSession: ...
@overload
async def get_session(
    request: HTTPConnection,
    *,
    session_required: bool,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> AsyncSession | None: ...
async def get_session(
    request: HTTPConnection,
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> AsyncSession | None:
    """Return the request's session, verifying its access token once per request
    and checking its claims on every call (with this call's validators).

    Storage I/O: none, or one read with ``check_database`` (which also notices a
    revoked session before its access token expires); a payload merge when a claim
    value is due.

    Args:
        session_required: raise `SessionRequired` when the request has no token;
            otherwise return `None` for it (a bad or expired token still raises).
        check_database: also check that the session still exists in the store.
        override_global_claim_validators: maps the manager's claim validators to
            those this request runs (see `sessionjar.claims`).

    Raises:
        ClaimValidationError: a claim validator failed (answered with 403).
        TryRefreshToken: the access token expired; the client should refresh.
        UnauthorisedError: the token is bad, or the session is gone.
        AntiCsrfCheckFailed: a cookie-borne unsafe request failed the check.
        StorageUnavailable: ``check_database`` and the store is down.
    """
    return await _context(request).web.get_session(
        required=session_required,
        check_database=check_database,
        override_global_claim_validators=override_global_claim_validators,
    )


async def create_new_session(
    request: HTTPConnection,
    user_id: str,
    *,
    tenant: str = "public",
    access_payload: JSONObject | None = None,
    session_data: JSONObject | None = None,
) -> AsyncSession:
    """Create a session for ``user_id``; the response carries its tokens.

    The tokens go in cookies, or in response headers when the request asked for header
    transfer (a bearer token, or the ``auth-mode: header`` request header).
    Storage I/O: one write (and, at most once per key-rotation interval, a key load).

    Raises:
        SerializationError: the payload or the data do not round-trip through JSON.
        ConfigurationError: bad user id or tenant, or a protected claim in the payload.
    """
    return await _context(request).web.create_session(
        user_id, tenant=tenant, access_payload=access_payload, session_data=session_data
    )


async def revoke_session(request: HTTPConnection) -> None:
    """Revoke the request's session, if it has one, and clear its tokens in the response.

    Storage I/O: one delete when there is a session.

    Raises:
        TryRefreshToken: the access token expired; refresh, then revoke.
    """
    await _context(request).web.revoke()


async def handle_error(request: Request, error: Exception) -> Response:
    """Turn a session error into its response, clearing tokens as the mapping says.

    The middleware calls it for errors handlers raise; apps may also register it with
    ``add_exception_handler(SessionjarError, handle_error)``. On token theft the
    middleware's ``on_token_theft`` hook is called first.

    Raises:
        Exception: ``error`` itself when the mapping has no response for it.
    """
    context = _context(request)
    reply = context.web.reply_to(error)
    if reply is None:
        raise error
    hook = context.middleware.on_token_theft
    if isinstance(error, TokenTheftDetected) and hook is not None:
        result = hook(request, error)
        if inspect.isawaitable(result):
            await result
    return JSONResponse(reply.body, reply.status, headers=dict(reply.headers))
