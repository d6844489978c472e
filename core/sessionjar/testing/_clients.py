"""Sign a Flask test client or an httpx-based client (Starlette's `TestClient`) in as a user.

The tokens go where the app's middleware looks for them: the cookies it would set
(same names and paths, so the app's own later ``Set-Cookie`` replaces them) or, with
``transfer="header"``, an ``Authorization: Bearer`` header.
"""

from __future__ import annotations

import asyncio
from http.cookiejar import Cookie
from typing import TYPE_CHECKING, Any, Literal, Protocol, overload

from sessionjar import AsyncSessionManager, ConfigurationError, SessionManager

if TYPE_CHECKING:
    from sessionjar import AsyncSession, JSONObject, Session

__all__ = ["sign_in", "sign_in_as", "sign_out"]

ACCESS_COOKIE = "sAccessToken"
REFRESH_COOKIE = "sRefreshToken"
REFRESH_PATH = "/auth/session/refresh"


class _Tokens(Protocol):
    access_token: str
    refresh_token: str | None


def sign_in(
    client: Any,
    session: _Tokens,
    *,
    transfer: Literal["cookie", "header"] = "cookie",
    secure: bool = True,
    access_cookie_name: str = ACCESS_COOKIE,
    refresh_cookie_name: str = REFRESH_COOKIE,
    access_cookie_path: str = "/",
    refresh_path: str = REFRESH_PATH,
) -> None:
    """Give ``client`` the tokens of ``session``, as the app's sign-in response would.

    Args:
        client: a Flask test client (``app.test_client()``), or Starlette's `TestClient`
            or any ``httpx`` client.
        session: what ``create_session`` returned (it holds both tokens).
        transfer: ``"cookie"`` (what browsers do) or ``"header"`` (bearer token).
        secure: the app's ``cookie_secure``. httpx sends `Secure` cookies over https
            only, so with ``True`` an httpx client must have an ``https://`` base URL.
        access_cookie_name: the app's option of that name, if it changed it.
        refresh_cookie_name: the app's option of that name, if it changed it.
        access_cookie_path: the app's option of that name, if it changed it.
        refresh_path: the app's refresh route, with any prefix the app is mounted under.

    Raises:
        ConfigurationError: ``client`` is neither kind, or an httpx client on
            ``http://`` would not send the `Secure` cookies back.
    """
    if transfer == "header":
        _set_header(client, "Authorization", f"Bearer {session.access_token}")
        return
    cookies = [(access_cookie_name, session.access_token, access_cookie_path)]
    if session.refresh_token is not None:
        cookies.append((refresh_cookie_name, session.refresh_token, refresh_path))
    for name, value, path in cookies:
        _set_cookie(client, name, value, path, secure)


@overload
def sign_in_as(client: Any, manager: SessionManager, user_id: str, **options: Any) -> Session: ...
@overload
def sign_in_as(
    client: Any, manager: AsyncSessionManager, user_id: str, **options: Any
) -> AsyncSession: ...
def sign_in_as(
    client: Any,
    manager: SessionManager | AsyncSessionManager,
    user_id: str,
    *,
    tenant: str = "public",
    access_payload: JSONObject | None = None,
    session_data: JSONObject | None = None,
    **options: Any,
) -> Session | AsyncSession:
    """Create a session for ``user_id`` with ``manager`` and `sign_in` ``client`` with it.

    With an `AsyncSessionManager` the session is created on the event loop of a
    Starlette `TestClient` used as a context manager (``with TestClient(app) as
    client``), else on a loop of its own; in an ``async`` test, ``await
    manager.create_session(...)`` and call `sign_in` instead.

    Args:
        client: as for `sign_in`.
        manager: the manager the app was given.
        user_id: the user to sign in.
        tenant: as for ``create_session``.
        access_payload: as for ``create_session``.
        session_data: as for ``create_session``.
        **options: the keyword options of `sign_in`.

    Returns:
        the new `Session` or `AsyncSession`.

    Storage I/O: one write (the new session).
    """
    kwargs: dict[str, Any] = {
        "tenant": tenant,
        "access_payload": access_payload,
        "session_data": session_data,
    }
    session: Session | AsyncSession
    if isinstance(manager, SessionManager):
        session = manager.create_session(user_id, **kwargs)
    else:
        session = _run(client, manager, user_id, kwargs)
    sign_in(client, session, **options)
    return session


def sign_out(
    client: Any,
    *,
    access_cookie_name: str = ACCESS_COOKIE,
    refresh_cookie_name: str = REFRESH_COOKIE,
    access_cookie_path: str = "/",
    refresh_path: str = REFRESH_PATH,
) -> None:
    """Drop the session's cookies and the ``Authorization`` header of ``client``; no request.

    The keyword options are those of `sign_in`. The session itself stays valid: revoke
    it with the manager to test what a revoked session gets.
    """
    cookies = [(access_cookie_name, access_cookie_path), (refresh_cookie_name, refresh_path)]
    if _is_flask(client):
        client.environ_base.pop("HTTP_AUTHORIZATION", None)
        for name, path in cookies:
            client.delete_cookie(name, path=path)
    else:
        client.headers.pop("Authorization", None)
        for name, _ in cookies:
            client.cookies.delete(name)


def _run(
    client: Any, manager: AsyncSessionManager, user_id: str, kwargs: dict[str, Any]
) -> AsyncSession:
    async def create() -> AsyncSession:
        return await manager.create_session(user_id, **kwargs)

    portal = getattr(client, "portal", None)
    if portal is not None:  # inside `with TestClient(app)`: the app's own loop
        result: AsyncSession = portal.call(create)
        return result
    return asyncio.run(create())


def _is_flask(client: Any) -> bool:
    return hasattr(client, "environ_base") and hasattr(client, "set_cookie")


def _set_header(client: Any, name: str, value: str) -> None:
    if _is_flask(client):
        client.environ_base[f"HTTP_{name.upper().replace('-', '_')}"] = value
    elif hasattr(client, "headers"):
        client.headers[name] = value
    else:
        raise ConfigurationError(f"not a Flask or httpx test client: {client!r}")


def _set_cookie(client: Any, name: str, value: str, path: str, secure: bool) -> None:
    if _is_flask(client):
        # Werkzeug's client sends Secure cookies over http too; this is its default host.
        client.set_cookie(name, value, path=path)
        return
    jar = getattr(getattr(client, "cookies", None), "jar", None)
    if jar is None:
        raise ConfigurationError(f"not a Flask or httpx test client: {client!r}")
    url = client.base_url
    if secure and url.scheme != "https":
        raise ConfigurationError(
            f"the app's cookies are Secure and httpx sends them over https only: create "
            f'the client with base_url="https://{url.host}" (or pass secure=False if '
            f"the app sets cookie_secure=False)"
        )
    jar.set_cookie(_cookie(name, value, _jar_domain(url.host), path, secure))


def _jar_domain(host: str) -> str:
    # http.cookiejar files a host-only cookie of a dotless host under "<host>.local":
    # ours must sit under the same key for the app's own Set-Cookie to replace it.
    return host if "." in host else f"{host}.local"


def _cookie(name: str, value: str, domain: str, path: str, secure: bool) -> Cookie:
    return Cookie(
        version=0, name=name, value=value, port=None, port_specified=False,
        domain=domain, domain_specified=False, domain_initial_dot=False,
        path=path, path_specified=True, secure=secure, expires=None, discard=True,
        comment=None, comment_url=None, rest={"HttpOnly": ""},
    )  # fmt: skip
