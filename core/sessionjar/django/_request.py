"""The request helpers of the Django layer: each request's flow, begun on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal, overload

from django.http import HttpRequest, HttpResponse, JsonResponse

from sessionjar._types import JSONObject
from sessionjar._web_flow import WebRequest
from sessionjar._web_flow_async import AsyncWebRequest
from sessionjar.django._runtime import runtime
from sessionjar.errors import ConfigurationError, TokenTheftDetected

if TYPE_CHECKING:
    from sessionjar.claims import ValidatorsOverride
    from sessionjar.session import Session
    from sessionjar.session_async import AsyncSession

__all__ = [
    "web_of",
    "aweb_of",
    "begun",
    "get_session",
    "aget_session",
    "create_new_session",
    "acreate_new_session",
    "revoke_session",
    "arevoke_session",
    "error_response",
]

_ATTRIBUTE: Final = "_sessionjar"


def begun(request: HttpRequest) -> WebRequest | AsyncWebRequest | None:
    """Return the request's flow if a helper began it, else `None` (nothing to write)."""
    web: WebRequest | AsyncWebRequest | None = getattr(request, _ATTRIBUTE, None)
    return web


def web_of(request: HttpRequest) -> WebRequest:
    """Return the request's sync flow, begun on first use.

    Storage I/O: none; a key load while the keys could not be loaded yet.

    Raises:
        ConfigurationError: the app is not installed, or an async helper already began
            this request.
    """
    web = begun(request)
    if web is None:
        flow, _ = runtime().flows()
        web = flow.begin(*_request_parts(request))
        setattr(request, _ATTRIBUTE, web)
        if not flow.keys_ready:  # begun first, so that a store still down answers 503
            flow.ensure_keys()
    if not isinstance(web, WebRequest):
        raise ConfigurationError("this request's session is handled by the async helpers")
    return web


async def aweb_of(request: HttpRequest) -> AsyncWebRequest:
    """Return the request's async flow, begun on first use (async version of `web_of`).

    Storage I/O: a key load on the process's first async request.
    """
    web = begun(request)
    if web is None:
        _, aflow = runtime().flows()
        web = aflow.begin(*_request_parts(request))
        setattr(request, _ATTRIBUTE, web)
        if not aflow.keys_ready:
            await aflow.ensure_keys()
    if not isinstance(web, AsyncWebRequest):
        raise ConfigurationError("this request's session is handled by the sync helpers")
    return web


class _MetaHeaders:
    """The request headers the flow reads, straight from ``request.META``: cheaper than
    building Django's `HttpHeaders` of every header."""

    __slots__ = ("_meta",)

    def __init__(self, meta: dict[str, Any]) -> None:
        self._meta = meta

    def get(self, key: str, /) -> str | None:
        """Return the header's value, or `None`."""
        value: str | None = self._meta.get("HTTP_" + key.upper().replace("-", "_"))
        return value


def _request_parts(
    request: HttpRequest,
) -> tuple[str, str, _MetaHeaders, None, str, str | None]:
    # the script name (SCRIPT_NAME, or FORCE_SCRIPT_NAME) is what path adds to path_info
    mount_path = request.path.removesuffix(request.path_info)
    # cookies None: the flow reads only its own two from the Cookie header
    headers = _MetaHeaders(request.META)
    peer: str | None = request.META.get("REMOTE_ADDR")
    return request.method or "GET", request.path_info, headers, None, mount_path, peer


@overload
def get_session(
    request: HttpRequest,
    *,
    session_required: Literal[True] = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Session: ...
@overload
def get_session(
    request: HttpRequest,
    *,
    session_required: bool,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Session | None: ...
def get_session(
    request: HttpRequest,
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Session | None:
    """Return the request's session, verifying its access token once per request
    and checking its claims on every call (with this call's validators).

    Storage I/O: none, or one read with ``check_database`` (once per request); a
    payload merge when a claim value is due.

    Args:
        request: the current request.
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
    web = web_of(request)
    return web.get_session(
        required=session_required,
        check_database=check_database,
        override_global_claim_validators=override_global_claim_validators,
    )


@overload
async def aget_session(
    request: HttpRequest,
    *,
    session_required: Literal[True] = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> AsyncSession: ...
@overload
async def aget_session(
    request: HttpRequest,
    *,
    session_required: bool,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> AsyncSession | None: ...
async def aget_session(
    request: HttpRequest,
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> AsyncSession | None:
    """Async version of `get_session`, for async views: the async manager verifies."""
    web = await aweb_of(request)
    return await web.get_session(
        required=session_required,
        check_database=check_database,
        override_global_claim_validators=override_global_claim_validators,
    )


def create_new_session(
    request: HttpRequest,
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
    return web_of(request).create_session(
        user_id, tenant=tenant, access_payload=access_payload, session_data=session_data
    )


async def acreate_new_session(
    request: HttpRequest,
    user_id: str,
    *,
    tenant: str = "public",
    access_payload: JSONObject | None = None,
    session_data: JSONObject | None = None,
) -> AsyncSession:
    """Async version of `create_new_session`."""
    web = await aweb_of(request)
    return await web.create_session(
        user_id, tenant=tenant, access_payload=access_payload, session_data=session_data
    )


def revoke_session(request: HttpRequest) -> None:
    """Revoke the request's session, if any, and clear its tokens in the response.

    Storage I/O: one delete when there is a session.

    Raises:
        TryRefreshToken: the access token expired; refresh, then revoke.
    """
    web_of(request).revoke()


async def arevoke_session(request: HttpRequest) -> None:
    """Async version of `revoke_session`."""
    await (await aweb_of(request)).revoke()


def error_response(request: HttpRequest, error: Exception) -> HttpResponse | None:
    """Return the JSON response a session error becomes, or `None` to let Django raise it.

    The response clears the client's tokens when the mapping says so; on token theft
    the ``ON_TOKEN_THEFT`` hook is called first. Storage I/O: none.
    """
    web = begun(request)
    reply = None if web is None else web.reply_to(error)
    if reply is None:
        return None
    hook = runtime().on_token_theft
    if isinstance(error, TokenTheftDetected) and hook is not None:
        hook(error)
    response = JsonResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        response.headers[name] = value
    return response
