"""Sessions for Starlette apps: a middleware and request helpers (async API).

Imports Starlette only, never FastAPI; `sessionjar.fastapi` adds a FastAPI dependency.

    app = Starlette(routes=..., middleware=[Middleware(SessionMiddleware, manager=manager)])

    async def profile(request):
        session = await get_session(request)
        return JSONResponse({"user": session.get_user_id()})
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, Literal, Unpack, overload

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from sessionjar._acompat import ALock
from sessionjar._types import JSONObject
from sessionjar._web import (
    ErrorReply,
    RequestState,
    WebConfig,
    WebOptions,
    access_token_to_verify,
    anti_csrf_token_needed,
    check_anti_csrf_token,
    check_refresh_anti_csrf,
    default_error_reply,
    read_refresh_token,
    read_request,
    response_headers,
)
from sessionjar.errors import (
    AntiCsrfCheckFailed,
    ConfigurationError,
    SessionjarError,
    SessionRequired,
    TokenTheftDetected,
)

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
_Route = Literal["refresh", "signout"]


class SessionMiddleware:
    """ASGI middleware that reads, issues and clears session tokens, and maps session errors.

    It serves the built-in routes (POST ``refresh_path`` rotates the tokens, POST
    ``signout_path`` revokes the session), writes tokens at ``http.response.start``
    when a handler created, refreshed, changed or revoked the session, and turns the
    session errors a handler raises into responses (see `handle_error`). Verification
    is lazy: `get_session` does it when a handler asks.

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
        self.on_token_theft = on_token_theft
        self._keys_lock = ALock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._load_keys_on_startup(send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        route = _builtin_route(self.config, request)
        reader = read_refresh_token if route == "refresh" else read_request
        state: RequestState[AsyncSession] = reader(self.config, request.headers, request.cookies)
        state.mounted_at(scope.get("root_path", ""))
        scope[_SCOPE_KEY] = _Context(self, state)
        started = False

        async def send_with_tokens(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # cookies live as long as a session can without a refresh
                max_age = self.manager.refresh_token_validity
                _add_headers(message, response_headers(self.config, state, max_age))
            await send(message)

        try:
            await self._load_keys()
            if route is None:
                await self.app(scope, receive, send_with_tokens)
                return
            response = await (_refresh if route == "refresh" else _signout)(request)
        except SessionjarError as error:
            if started:
                raise
            response = await handle_error(request, error)
        await response(scope, receive, send_with_tokens)

    def _load_keys_on_startup(self, send: Send) -> Send:
        async def send_after_loading(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                await self._load_keys()  # raising here makes Starlette report a failed startup
            await send(message)

        return send_after_loading

    async def _load_keys(self) -> None:
        """Load the manager's signing keys unless they are loaded. Storage I/O: a key load once."""
        if self.manager.keys_loaded:
            return
        async with self._keys_lock:
            if not self.manager.keys_loaded:
                await self.manager.load_keys()


def _add_headers(message: Message, pairs: list[tuple[str, str]]) -> None:
    headers = MutableHeaders(scope=message)
    for name, value in pairs:
        if name == "Cache-Control":
            headers[name] = value  # replaces the app's: responses with tokens are never cached
        else:
            headers.append(name, value)


class _Context:
    """What a request's helpers need: the middleware's settings and the request's state."""

    __slots__ = ("middleware", "state")

    def __init__(self, middleware: SessionMiddleware, state: RequestState[AsyncSession]):
        self.middleware = middleware
        self.state = state


def _context(request: HTTPConnection) -> _Context:
    context = request.scope.get(_SCOPE_KEY)
    if not isinstance(context, _Context):
        raise ConfigurationError("sessionjar's SessionMiddleware is not installed on this app")
    return context


def _builtin_route(config: WebConfig, request: Request) -> _Route | None:
    if request.method != "POST":
        return None
    routes: dict[str, _Route] = {config.refresh_path: "refresh", config.signout_path: "signout"}
    return routes.get(_path_in_app(request.scope))


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
) -> AsyncSession: ...
@overload
async def get_session(
    request: HTTPConnection, *, session_required: bool, check_database: bool = False
) -> AsyncSession | None: ...
async def get_session(
    request: HTTPConnection, *, session_required: bool = True, check_database: bool = False
) -> AsyncSession | None:
    """Return the request's session, verifying its access token once per request.

    Storage I/O: none, or one read with ``check_database`` (which also notices a
    revoked session before its access token expires).

    Args:
        session_required: raise `SessionRequired` when the request has no token;
            otherwise return `None` for it (a bad or expired token still raises).
        check_database: also check that the session still exists in the store.

    Raises:
        TryRefreshToken: the access token expired; the client should refresh.
        UnauthorisedError: the token is bad, or the session is gone.
        AntiCsrfCheckFailed: a cookie-borne unsafe request failed the check.
        StorageUnavailable: ``check_database`` and the store is down.
    """
    context = _context(request)
    state, config = context.state, context.middleware.config
    method = request.scope.get("method", "GET")
    token = access_token_to_verify(
        config,
        state,
        method,
        request.headers,
        required=session_required,
        check_database=check_database,
    )
    if token is None:
        return state.session
    manager = context.middleware.manager
    session = await manager.get_session(token, check_database=check_database)
    if anti_csrf_token_needed(config, state, method):
        check_anti_csrf_token(
            config, request.headers, await manager.anti_csrf_token(session.handle)
        )
    state.session, state.database_checked = session, check_database
    return session


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
    context = _context(request)
    session = await context.middleware.manager.create_session(
        user_id, tenant=tenant, access_payload=access_payload, session_data=session_data
    )
    await _hand_out(context, session)
    return session


async def _hand_out(context: _Context, session: AsyncSession) -> None:
    """Make a new or refreshed session the one whose tokens the response carries."""
    state, middleware = context.state, context.middleware
    state.session, state.database_checked, state.clear = session, True, False
    if middleware.config.anti_csrf == "token":
        # no I/O: creating and refreshing have just loaded the refresh key
        state.anti_csrf_token = await middleware.manager.anti_csrf_token(session.handle)


async def revoke_session(request: HTTPConnection) -> None:
    """Revoke the request's session, if it has one, and clear its tokens in the response.

    Storage I/O: one delete when there is a session.

    Raises:
        TryRefreshToken: the access token expired; refresh, then revoke.
    """
    context = _context(request)
    session = await get_session(request, session_required=False)
    if session is not None:
        await session.revoke_session()
    context.state.session, context.state.clear = None, True


async def handle_error(request: Request, error: Exception) -> Response:
    """Turn a session error into its response, clearing tokens as the mapping says.

    The middleware calls it for errors handlers raise; apps may also register it with
    ``add_exception_handler(SessionjarError, handle_error)``. On token theft the
    middleware's ``on_token_theft`` hook is called first.

    Raises:
        Exception: ``error`` itself when the mapping has no response for it.
    """
    context = _context(request)
    middleware = context.middleware
    reply = middleware.config.error_reply(error) if isinstance(error, SessionjarError) else None
    if reply is None:
        raise error
    if isinstance(error, TokenTheftDetected) and middleware.on_token_theft is not None:
        result = middleware.on_token_theft(request, error)
        if inspect.isawaitable(result):
            await result
    context.state.session, context.state.clear = None, reply.clear_tokens
    return JSONResponse(reply.body, reply.status, headers=dict(reply.headers))


async def _refresh(request: Request) -> Response:
    context = _context(request)
    state = context.state
    check_refresh_anti_csrf(context.middleware.config, state, request.headers)
    if state.token is None:
        raise SessionRequired("the request carries no refresh token")
    await _hand_out(context, await context.middleware.manager.refresh_session(state.token))
    return JSONResponse({"status": "OK"})


async def _signout(request: Request) -> Response:
    await revoke_session(request)
    return JSONResponse({"status": "OK"})
