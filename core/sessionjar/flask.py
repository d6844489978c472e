"""Sessions for Flask apps: an extension, a route decorator and request helpers (sync API).

sessions = SessionExtension(app, manager=manager)

@app.get("/me")
@verify_session()
def me():
    return {"user": get_session().get_user_id()}
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Literal, ParamSpec, TypeVar, Unpack, overload

from flask import Flask, Response, current_app, jsonify, request

from sessionjar._types import JSONObject
from sessionjar._web import ErrorReply, WebConfig, WebOptions, default_error_reply
from sessionjar._web_flow import WebFlow, WebRequest
from sessionjar.errors import (
    AntiCsrfCheckFailed,
    ConfigurationError,
    SessionjarError,
    SessionRequired,
    TokenTheftDetected,
)

if TYPE_CHECKING:
    from sessionjar.claims import ValidatorsOverride
    from sessionjar.manager import SessionManager
    from sessionjar.session import Session

__all__ = [
    "SessionExtension",
    "verify_session",
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

TheftHook = Callable[[TokenTheftDetected], None]
"""Called (inside the request) when a refresh token was reused; the session is revoked."""

_EXTENSION_KEY: Final = "sessionjar"
_STATE_KEY: Final = "_sessionjar_state"
_P = ParamSpec("_P")
_R = TypeVar("_R")


class SessionExtension:
    """Flask extension that reads, issues and clears session tokens and maps session errors.

    It adds the built-in routes (POST ``refresh_path`` rotates the tokens, POST
    ``signout_path`` revokes the session, and with ``serve_jwks`` GET ``jwks_path``
    returns the JWKS), writes tokens in an ``after_request`` hook
    when a view created, refreshed, changed or revoked the session, and registers
    `handle_error` for `SessionjarError`. Per-request state lives on the request.

    Args:
        app: the app, or `None` to call `init_app` later (app factories).
        manager: the (sync) session manager.
        on_token_theft: called when refresh-token reuse is detected, to record it.
        options: `sessionjar.flask.WebOptions` (cookies, transfer, anti-CSRF, routes,
            error mapping).

    Raises:
        ConfigurationError: for inconsistent options.
        StorageUnavailable: with ``app``, the store is down while `init_app` loads
            the signing keys.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        manager: SessionManager,
        on_token_theft: TheftHook | None = None,
        **options: Unpack[WebOptions],
    ) -> None:
        self.manager = manager
        self.config = WebConfig(**options)
        self.flow = WebFlow(manager, self.config)
        self.on_token_theft = on_token_theft
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Install the extension on ``app``: routes, error handler, response hook.

        Loads the manager's signing keys first unless they are loaded, so that the first
        request can verify. Storage I/O: a key load, or none.

        Raises:
            StorageUnavailable: the store is down.
        """
        self.flow.ensure_keys()
        app.extensions[_EXTENSION_KEY] = self
        app.after_request(_write_tokens)
        app.register_error_handler(SessionjarError, handle_error)
        app.add_url_rule(
            self.config.refresh_path, "sessionjar_refresh", _refresh, methods=["POST"]
        )
        app.add_url_rule(
            self.config.signout_path, "sessionjar_signout", _signout, methods=["POST"]
        )
        if self.config.serve_jwks:
            app.add_url_rule(self.config.jwks_path, "sessionjar_jwks", _jwks, methods=["GET"])


def _write_tokens(response: Response) -> Response:
    web: WebRequest | None = getattr(request._get_current_object(), _STATE_KEY, None)  # type: ignore[attr-defined]
    if web is not None:
        for name, value in web.response_headers():
            if name == "Cache-Control":
                response.headers[name] = value  # responses with tokens are never cached
            elif name == "Vary":
                response.vary.add(value)
            else:
                response.headers.add(name, value)
    return response


def _web() -> WebRequest:
    """Return the request's flow, begun on first use.

    It lives on the request object (one context-local look-up, where `flask.g` and
    `current_app` cost one each on every call), and so dies with the request.
    """
    req = request._get_current_object()  # type: ignore[attr-defined]
    web: WebRequest | None = getattr(req, _STATE_KEY, None)
    if web is None:
        extension = current_app.extensions.get(_EXTENSION_KEY)
        if not isinstance(extension, SessionExtension):
            raise ConfigurationError("sessionjar's SessionExtension is not installed on this app")
        web = extension.flow.begin(
            req.method, req.path, req.headers, None, req.script_root, req.remote_addr
        )
        setattr(req, _STATE_KEY, web)
    return web


@overload
def get_session(
    *,
    session_required: Literal[True] = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Session: ...
@overload
def get_session(
    *,
    session_required: bool,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Session | None: ...
def get_session(
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Session | None:
    """Return the current request's session, verifying its access token once per request
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
    return _web().get_session(
        required=session_required,
        check_database=check_database,
        override_global_claim_validators=override_global_claim_validators,
    )


def verify_session(
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Return a decorator that verifies the session before the view runs.

    The view reads the session with `get_session` (no second verification). Errors
    become responses through `handle_error`. Storage I/O: as `get_session`.

    Args:
        session_required: with `False`, a request without a token still reaches the view.
        check_database: also check that the session still exists in the store.
        override_global_claim_validators: maps the manager's claim validators to
            those this route runs; a failure answers 403.
    """

    def decorate(view: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(view)
        def verified(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            _web().get_session(
                required=session_required,
                check_database=check_database,
                override_global_claim_validators=override_global_claim_validators,
            )
            return view(*args, **kwargs)

        return verified

    return decorate


def create_new_session(
    user_id: str,
    *,
    tenant: str = "public",
    access_payload: JSONObject | None = None,
    session_data: JSONObject | None = None,
) -> Session:
    """Create a session for ``user_id``; the response carries its tokens.

    The tokens go in cookies, or in response headers when the request asked for header
    transfer (a bearer token, or the ``auth-mode: header`` request header).
    Storage I/O: one write (and, at most once per key-rotation interval, a key load).

    Raises:
        SerializationError: the payload or the data do not round-trip through JSON.
        ConfigurationError: bad user id or tenant, or a protected claim in the payload.
    """
    return _web().create_session(
        user_id, tenant=tenant, access_payload=access_payload, session_data=session_data
    )


def revoke_session() -> None:
    """Revoke the current request's session, if any, and clear its tokens in the response.

    Storage I/O: one delete when there is a session.

    Raises:
        TryRefreshToken: the access token expired; refresh, then revoke.
    """
    _web().revoke()


def handle_error(error: Exception) -> Response:
    """Turn a session error into its response, clearing tokens as the mapping says.

    Registered by `SessionExtension` for `SessionjarError`; on token theft the
    extension's ``on_token_theft`` hook is called first.

    Raises:
        Exception: ``error`` itself when the mapping has no response for it.
    """
    web = _web()
    reply = web.reply_to(error)
    if reply is None:
        raise error
    hook = current_app.extensions[_EXTENSION_KEY].on_token_theft
    if isinstance(error, TokenTheftDetected) and hook is not None:
        hook(error)
    response = jsonify(reply.body)
    response.status_code = reply.status
    response.headers.extend(reply.headers)
    return response


def _refresh() -> Any:
    return _web().serve("refresh")


def _signout() -> Any:
    return _web().serve("signout")


def _jwks() -> Response:
    extension: SessionExtension = current_app.extensions[_EXTENSION_KEY]
    reply = extension.flow.jwks(request.headers)
    response = Response(reply.body, reply.status, list(reply.headers))
    if not reply.body:
        del response.headers["Content-Type"]  # a 304 has no body to describe
    return response
