"""The request flow of the web layer, shared by every framework adapter (async version).

An adapter is a translation layer. It builds one `AsyncWebFlow` per app (manager and
options resolved and checked once) and makes the manager's keys ready with
`AsyncWebFlow.ensure_keys` (at startup, or on the first request). Then, per request:

1. ``web = flow.begin(method, path_in_app, headers, None, mount_path)`` reads the
   request's tokens and transfer (no I/O) and is kept on the request;
   ``flow.builtin_route(method, path_in_app)`` says whether the flow answers the request
   itself (``"refresh"`` or ``"signout"``: the adapter then returns
   ``web.serve(route)`` as a 200 JSON body and the view does not run).
2. The view's helpers call ``web.get_session(required=..., check_database=...)``
   (verifies once per request: later calls return the same session),
   ``web.create_session(user_id, ...)`` and ``web.revoke()``.
3. A `SessionjarError` raised by either becomes ``reply = web.reply_to(error)``: an
   `ErrorReply` (status, JSON body, extra headers) to render, or `None` for an error
   that is not the client's (re-raise it). On `TokenTheftDetected` the adapter may call
   the app's hook.
4. When the response starts, the adapter writes ``web.response_headers()``:
   ``Cache-Control`` replaces the app's, ``Vary`` adds to the app's, every other pair is
   appended (``Set-Cookie`` may repeat).

With ``serve_jwks``, ``flow.serves_jwks(method, path_in_app)`` says whether a request
goes to the JWKS route; the adapter then renders ``await flow.jwks(headers)`` (errors
answered through ``web.reply_to`` as above).

Every decision without I/O lives in `sessionjar._web`; this module only calls the manager
around those decisions. Its sync twin, ``_web_flow.py`` (`WebFlow`, `WebRequest`), is
generated for WSGI frameworks and sync views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, overload

from sessionjar._acompat import ALock
from sessionjar._client_ip import client_ip
from sessionjar._devices import Client
from sessionjar._types import JSONObject
from sessionjar._web import (
    ErrorReply,
    Headers,
    RequestState,
    WebConfig,
    access_token_to_verify,
    anti_csrf_token_needed,
    check_anti_csrf_token,
    check_refresh_anti_csrf,
    read_refresh_token,
    read_request,
    response_headers,
    session_cookies,
)
from sessionjar._web_jwks import JwksReply, jwks_max_age, jwks_reply
from sessionjar.errors import ClaimValidationError, SessionjarError, SessionRequired
from sessionjar.session_async import AsyncSession

if TYPE_CHECKING:
    from sessionjar.claims import ClaimValidator, ValidatorsOverride
    from sessionjar.manager_async import AsyncSessionManager

__all__ = ["AsyncWebFlow", "AsyncWebRequest", "BuiltinRoute"]

BuiltinRoute = Literal["refresh", "signout"]
"""The routes the flow serves itself: token rotation and sign-out (both POST)."""


def _none(validators: list[ClaimValidator]) -> list[ClaimValidator]:
    return []


class AsyncWebFlow:
    """The web layer of one app: its manager and resolved options (async version).

    Args:
        manager: the session manager.
        config: the resolved web options.
    """

    __slots__ = (
        "_jwks_path",
        "_keys_lock",
        "_routes",
        "config",
        "jwks_max_age",
        "keys_ready",
        "manager",
        "max_age",
    )

    def __init__(self, manager: AsyncSessionManager, config: WebConfig) -> None:
        self.manager = manager
        self.config = config
        # cookies live as long as a session can without a refresh
        self.max_age = manager.refresh_token_validity
        self._routes: dict[str, BuiltinRoute] = {
            config.refresh_path: "refresh",
            config.signout_path: "signout",
        }
        self._jwks_path = config.jwks_path if config.serve_jwks else None
        self.jwks_max_age = jwks_max_age(manager.key_rotation_interval)
        """Seconds other services may cache the JWKS (``Cache-Control: max-age``)."""
        self._keys_lock = ALock()
        self.keys_ready = False
        """Whether `ensure_keys` succeeded: adapters skip the call (and its await) then."""

    async def ensure_keys(self) -> None:
        """Load the manager's signing keys unless they are loaded; concurrent callers
        load them once. Storage I/O: a key load, once.

        Raises:
            StorageUnavailable: the store is down.
        """
        if self.keys_ready:
            return
        async with self._keys_lock:
            if not self.manager.keys_loaded:
                await self.manager.load_keys()
        # the manager keeps its keys current from here on: no per-request check
        self.keys_ready = True

    def builtin_route(self, method: str, path: str) -> BuiltinRoute | None:
        """Return the built-in route a request goes to, or `None` for the app's own.

        Args:
            method: the HTTP method.
            path: the request path within the app (without its mount path).
        """
        return self._routes.get(path) if method == "POST" else None

    def serves_jwks(self, method: str, path: str) -> bool:
        """Tell whether a request goes to the JWKS route (GET or HEAD, with ``serve_jwks``).

        Args:
            method: the HTTP method.
            path: the request path within the app (without its mount path).
        """
        return path == self._jwks_path and method in ("GET", "HEAD")

    async def jwks(self, headers: Headers) -> JwksReply:
        """Return the JWKS route's response: the JWK Set with cache headers and an ETag,
        or 304 when ``If-None-Match`` names the current one.

        Storage I/O: a key load for automatic keys (which publishes the next key), at
        most once per key-rotation interval; none for explicit keys.

        Raises:
            StorageUnavailable: the store is down.
        """
        document = await self.manager.get_jwks()
        return jwks_reply(document, self.jwks_max_age, headers.get("if-none-match"))

    def begin(
        self,
        method: str,
        path: str,
        headers: Headers,
        cookies: Mapping[str, str] | None = None,
        mount_path: str = "",
        peer: str | None = None,
    ) -> AsyncWebRequest:
        """Start one request: read its tokens and transfer. Storage I/O: none.

        Args:
            method: the HTTP method.
            path: the request path within the app (without its mount path).
            headers: the request headers (case-insensitive ``get``).
            cookies: the request cookies by name, or `None` to read only ours from the
                ``Cookie`` header (cheaper than a framework's parse of every cookie).
            mount_path: where the app is mounted (ASGI ``root_path``, WSGI
                ``SCRIPT_NAME``), so that the refresh cookie reaches the refresh route.
            peer: the address of the socket's peer (ASGI ``client``, WSGI
                ``REMOTE_ADDR``), recorded as the client's device at sign-in and refresh.
        """
        on_refresh = self.builtin_route(method, path) == "refresh"
        if cookies is None:
            cookies = session_cookies(self.config, headers.get("cookie"), refresh=on_refresh)
        reader = read_refresh_token if on_refresh else read_request
        state: RequestState[AsyncSession] = reader(self.config, headers, cookies)
        if mount_path:
            state.mounted_at(mount_path)
        return AsyncWebRequest(self, state, method, headers, peer)


class AsyncWebRequest:
    """One request's session work: what a view asks, and what the response must carry.

    Built by `AsyncWebFlow.begin`; lives on the request, never shared (async version).
    """

    __slots__ = ("flow", "headers", "method", "peer", "state")

    def __init__(
        self,
        flow: AsyncWebFlow,
        state: RequestState[AsyncSession],
        method: str,
        headers: Headers,
        peer: str | None = None,
    ) -> None:
        self.flow = flow
        self.state = state
        self.method = method
        self.headers = headers
        self.peer = peer

    @overload
    async def get_session(
        self,
        *,
        required: Literal[True] = True,
        check_database: bool = False,
        override_global_claim_validators: ValidatorsOverride | None = None,
    ) -> AsyncSession: ...
    @overload
    async def get_session(
        self,
        *,
        required: bool,
        check_database: bool = False,
        override_global_claim_validators: ValidatorsOverride | None = None,
    ) -> AsyncSession | None: ...
    async def get_session(
        self,
        *,
        required: bool = True,
        check_database: bool = False,
        override_global_claim_validators: ValidatorsOverride | None = None,
    ) -> AsyncSession | None:
        """Return the request's session, verifying its access token once per request
        and checking its claims on every call (with this call's validators).

        Storage I/O: none, or one read with ``check_database`` (once per request); a
        payload merge when a claim value is due (see `AsyncSessionManager.get_session`).

        Args:
            required: raise `SessionRequired` when the request has no token;
                otherwise return `None` for it (a bad or expired token still raises).
            check_database: also check that the session still exists in the store.
            override_global_claim_validators: maps the manager's claim validators to
                those this request runs.

        Raises:
            ClaimValidationError: a claim validator failed (the web layer answers 403).
            TryRefreshToken: the access token expired; the client should refresh.
            UnauthorisedError: the token is bad, or the session is gone.
            AntiCsrfCheckFailed: a cookie-borne unsafe request failed the check.
            StorageUnavailable: ``check_database`` and the store is down.
        """
        state, config = self.state, self.flow.config
        token = access_token_to_verify(
            config,
            state,
            self.method,
            self.headers,
            required=required,
            check_database=check_database,
        )
        manager = self.flow.manager
        if token is not None:
            verified = await manager._verify_access(token, check_database)
            if anti_csrf_token_needed(config, state, self.method):
                expected = await manager.anti_csrf_token(verified.handle)
                check_anti_csrf_token(config, self.headers, expected)
            state.session, state.database_checked = verified, check_database
        session = state.session
        # the token is verified once per request, the claims on every call: each call
        # may name its own validators
        if session is not None and (
            manager._claim_validators or override_global_claim_validators is not None
        ):
            await manager._check_claims(session, override_global_claim_validators)
        return session

    async def create_session(
        self,
        user_id: str,
        *,
        tenant: str = "public",
        access_payload: JSONObject | None = None,
        session_data: JSONObject | None = None,
    ) -> AsyncSession:
        """Create a session for ``user_id``; the response carries its tokens.

        The request's User-Agent and IP address are recorded as the session's device.
        Storage I/O: as `AsyncSessionManager.create_session`: one write (plus reads
        under a session limit; at most once per key-rotation interval, a key load).

        Raises:
            SerializationError: the payload or the data do not round-trip through JSON.
            SessionDataTooLarge: the data is larger than the manager allows.
            SessionLimitReached: the user has as many sessions as allowed ("refuse").
            ConfigurationError: bad user id or tenant, or a protected claim in the payload.
        """
        session = await self.flow.manager.create_session(
            user_id,
            tenant=tenant,
            access_payload=access_payload,
            session_data=session_data,
            client=self.client(),
        )
        await self._hand_out(session)
        return session

    async def revoke(self) -> None:
        """Revoke the request's session, if it has one, and clear its tokens in the response.

        Claim validators do not run: a user any route refuses can still sign out.
        Storage I/O: one delete when there is a session.

        Raises:
            TryRefreshToken: the access token expired; refresh, then revoke.
        """
        session = await self.get_session(required=False, override_global_claim_validators=_none)
        if session is not None:
            await session.revoke_session()
        self.state.session, self.state.clear = None, True

    async def refresh(self) -> None:
        """Rotate the request's refresh token; the response carries the new tokens.

        Storage I/O: one read and one write (see `AsyncSessionManager.refresh_session`).

        Raises:
            AntiCsrfCheckFailed: a cookie-borne refresh without the anti-CSRF header.
            SessionRequired: the request carries no refresh token.
            UnauthorisedError: the refresh token is bad, or the session is gone.
            TokenTheftDetected: the refresh token was reused; the session is revoked.
        """
        state = self.state
        check_refresh_anti_csrf(self.flow.config, state, self.headers)
        if state.token is None:
            raise SessionRequired("the request carries no refresh token")
        refreshed = await self.flow.manager.refresh_session(state.token, client=self.client())
        await self._hand_out(refreshed)

    def client(self) -> Client:
        """Return what the request tells about its client, for its device record: the
        User-Agent header and the IP address (the peer's, or from ``X-Forwarded-For``
        behind `WebConfig.trusted_proxies` proxies). Storage I/O: none."""
        trusted = self.flow.config.trusted_proxies
        ip = client_ip(self.peer, self.headers, trusted_proxies=trusted)
        return Client(user_agent=self.headers.get("user-agent"), ip=ip)

    async def serve(self, route: BuiltinRoute) -> JSONObject:
        """Serve a built-in route; return the JSON body of its success response.

        Raises:
            SessionjarError: as `refresh` or `revoke`; answer it with `reply_to`.
        """
        await (self.refresh() if route == "refresh" else self.revoke())
        return {"status": "OK"}

    async def _hand_out(self, session: AsyncSession) -> None:
        """Make a new or refreshed session the one whose tokens the response carries."""
        state = self.state
        state.session, state.database_checked, state.clear = session, True, False
        if self.flow.config.anti_csrf == "token":
            # no I/O: creating and refreshing have just loaded the refresh key
            state.anti_csrf_token = await self.flow.manager.anti_csrf_token(session.handle)

    def reply_to(self, error: Exception) -> ErrorReply | None:
        """Return the response ``error`` becomes, or `None` when it is not a session error
        the mapping answers (re-raise it then). The response clears the client's tokens
        when the mapping says so. Storage I/O: none.
        """
        if not isinstance(error, SessionjarError):
            return None
        reply = self.flow.config.error_reply(error)
        if reply is not None:
            self.state.session = self._refused_session(error)
            self.state.clear = reply.clear_tokens
        return reply

    def _refused_session(self, error: SessionjarError) -> AsyncSession | None:
        """Return the session whose tokens the response to ``error`` carries: the
        request's own session refused for its claims, which still gets the values fetched
        for it; `None` otherwise (a session the app looked up itself is none of the
        client's business)."""
        if not isinstance(error, ClaimValidationError):
            return None
        kept, own = error.session, self.state.session
        if isinstance(kept, AsyncSession) and own is not None and kept.handle == own.handle:
            return kept
        return None

    def response_headers(self) -> list[tuple[str, str]]:
        """Return the headers that bring the client's tokens in line with the request.

        Empty unless the request created, refreshed, changed or cleared tokens.
        ``Cache-Control`` replaces the app's, ``Vary`` adds to it, every other header is
        appended. Storage I/O: none.
        """
        return response_headers(self.flow.config, self.state, self.flow.max_age)
