"""The Starlette middleware and helpers, through a real app on real memory and sqlite stores."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest
from fix_manager import MakeAsync
from fix_web import (
    BASE_URL,
    Barrier,
    RecordingStore,
    YieldingKeyStore,
    lifespan,
    set_cookies,
    starlette_app,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

import sessionjar
from sessionjar import (
    AsyncSessionManager,
    AsyncStore,
    ConfigurationError,
    SessionjarError,
    SessionNotFound,
    TokenTheftDetected,
)
from sessionjar.starlette import (
    ErrorReply,
    SessionMiddleware,
    _ScopeHeaders,
    create_new_session,
    default_error_reply,
    get_session,
    handle_error,
)
from sessionjar.testing import ManualClock

Client = Callable[..., httpx.AsyncClient]
REFRESH = "/auth/session/refresh"


async def signin(client: httpx.AsyncClient, user: str = "alice", **extra: Any) -> httpx.Response:
    response = await client.post("/signin", json={"user": user, **extra})
    assert response.status_code == 200, response.text
    return response


class TestCookies:
    async def test_signin_sets_both_cookies_with_safe_flags(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        response = await signin(aclient(starlette_app(amanager)), payload={"role": "admin"})
        cookies = set_cookies(response)
        access, refresh = cookies["sAccessToken"], cookies["sRefreshToken"]
        assert access["path"] == "/"
        assert refresh["path"] == REFRESH
        for cookie in (access, refresh):
            assert cookie["httponly"] is True
            assert cookie["secure"] is True
            assert cookie["samesite"] == "Lax"
            assert "domain" not in cookie
            assert cookie["max-age"] == str(30 * 24 * 3600)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["vary"] == "Accept-Encoding, Cookie"
        assert response.json() == {"user": "alice", "payload": {"role": "admin"}}

    async def test_cookie_options_reach_every_cookie(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        app = starlette_app(
            amanager, cookie_domain="example.com", cookie_samesite="strict", refresh_path="/r"
        )
        cookies = set_cookies(await signin(aclient(app)))
        assert cookies["sRefreshToken"]["path"] == "/r"
        assert {c["domain"] for c in cookies.values()} == {"example.com"}
        assert {c["samesite"] for c in cookies.values()} == {"Strict"}

    async def test_verified_request_writes_nothing(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client)
        response = await client.get("/me")
        assert response.json()["user"] == "alice"
        assert "set-cookie" not in response.headers
        assert "cache-control" not in response.headers
        assert "vary" not in response.headers

    async def test_prefixed_cookie_names_work(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        app = starlette_app(
            amanager, access_cookie_name="__Host-at", refresh_cookie_name="__Secure-rt"
        )
        client = aclient(app)
        assert set(set_cookies(await signin(client))) == {"__Host-at", "__Secure-rt"}
        assert (await client.get("/me")).json()["user"] == "alice"

    async def test_prefixed_cookie_names_browsers_drop_are_refused(
        self, amanager: AsyncSessionManager
    ) -> None:
        with pytest.raises(ConfigurationError, match="__Secure- cookie without Secure"):
            SessionMiddleware(
                starlette_app(amanager),
                amanager,
                access_cookie_name="__Secure-at",
                cookie_secure=False,
            )

    async def test_payload_update_resets_only_the_access_cookie(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        before = set_cookies(await signin(client))["sAccessToken"]["value"]
        response = await client.post("/payload", json={"theme": "dark"})
        cookies = set_cookies(response)
        assert set(cookies) == {"sAccessToken"}
        assert cookies["sAccessToken"]["value"] != before
        assert response.headers["cache-control"] == "no-store"
        assert (await client.get("/me")).json()["payload"] == {"theme": "dark"}

    async def test_session_data_round_trips(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client, data={"cart": []})
        assert (await client.post("/data", json={"cart": [1]})).json() == {"cart": [1]}
        assert (await client.get("/data")).json() == {"cart": [1]}


class TestErrors:
    async def test_no_token_is_401_and_clears_nothing(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        response = await aclient(starlette_app(amanager)).get("/me")
        assert response.status_code == 401
        assert response.json() == {"error": "unauthorised", "message": "no session"}
        assert "set-cookie" not in response.headers

    async def test_optional_session_is_none_without_token(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        response = await aclient(starlette_app(amanager)).get("/maybe")
        assert response.json() == {"user": None}
        assert "set-cookie" not in response.headers

    async def test_expired_access_token_asks_for_refresh_and_keeps_cookies(
        self, amanager: AsyncSessionManager, aclient: Client, clock: ManualClock
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client)
        clock.advance(minutes=16)
        for path in ("/me", "/maybe"):
            response = await client.get(path)
            assert response.status_code == 401
            assert response.json()["error"] == "try_refresh_token"
            assert "set-cookie" not in response.headers

    async def test_garbage_token_is_401_and_clears_cookies_as_set(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        app = starlette_app(amanager, cookie_domain="example.com")
        response = await aclient(app, cookies={"sAccessToken": "not-a-jwt"}).get("/me")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorised"
        cookies = set_cookies(response)
        assert set(cookies) == {"sAccessToken", "sRefreshToken"}
        assert cookies["sAccessToken"]["path"] == "/"
        assert cookies["sRefreshToken"]["path"] == REFRESH
        for cookie in cookies.values():
            assert cookie["value"] == ""
            assert cookie["max-age"] == "0"
            assert cookie["domain"] == "example.com"
            assert cookie["httponly"]
            assert cookie["secure"]
        assert response.headers["cache-control"] == "no-store"

    async def test_check_database_notices_revocation(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client)
        handle = await _handle(amanager, "alice")
        await amanager.revoke_session(handle)
        assert (await client.get("/me")).status_code == 200  # no I/O: token still valid
        response = await client.get("/strict")
        assert response.status_code == 401
        assert "sAccessToken" in set_cookies(response)

    async def test_storage_down_is_503_and_clears_nothing(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client)
        await amanager.close()
        response = await client.get("/strict")
        assert response.status_code == 503
        assert response.json()["error"] == "storage_unavailable"
        assert "set-cookie" not in response.headers

    async def test_mapping_is_overridable(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        def reply(error: Exception) -> ErrorReply | None:
            if isinstance(error, ConfigurationError):
                return None
            default = default_error_reply(error)  # type: ignore[arg-type]
            assert default is not None
            return ErrorReply(
                status=418, body={"why": default.body["error"]}, headers=(("x-a", "b"),)
            )

        response = await aclient(starlette_app(amanager, error_reply=reply)).get("/me")
        assert response.status_code == 418
        assert response.json() == {"why": "unauthorised"}
        assert response.headers["x-a"] == "b"

    async def test_handle_error_works_as_an_exception_handler(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        async def gone(request: Request) -> Response:
            await get_session(request)
            raise SessionNotFound("A" * 22)

        app = Starlette(
            routes=[Route("/gone", gone)],
            middleware=[Middleware(SessionMiddleware, manager=amanager)],
            exception_handlers={SessionjarError: handle_error},
        )
        session = await amanager.create_session("alice")
        client = aclient(app, cookies={"sAccessToken": session.access_token})
        response = await client.get("/gone")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorised"
        assert set(set_cookies(response)) == {"sAccessToken", "sRefreshToken"}

    async def test_missing_middleware_is_a_configuration_error(self) -> None:
        async def route(request: Request) -> Response:
            await get_session(request)
            return JSONResponse({})

        transport = httpx.ASGITransport(app=Starlette(routes=[Route("/", route)]))
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            with pytest.raises(ConfigurationError, match="SessionMiddleware"):
                await client.get("/")


async def _handle(manager: AsyncSessionManager, user: str) -> str:
    (handle,) = await manager.get_all_session_handles_for_user(user)
    return handle


class TestRefreshAndSignout:
    async def test_refresh_rotates_both_cookies(
        self, amanager: AsyncSessionManager, aclient: Client, clock: ManualClock
    ) -> None:
        client = aclient(starlette_app(amanager))
        old = set_cookies(await signin(client))
        clock.advance(minutes=16)
        response = await client.post(REFRESH)
        assert response.status_code == 200
        assert response.json() == {"status": "OK"}
        new = set_cookies(response)
        assert new["sRefreshToken"]["path"] == REFRESH
        assert new["sAccessToken"]["path"] == "/"
        for name in ("sAccessToken", "sRefreshToken"):
            assert new[name]["value"] != old[name]["value"]
        assert response.headers["cache-control"] == "no-store"
        assert (await client.get("/me")).json()["user"] == "alice"

    async def test_parallel_refreshes_of_two_tabs_both_succeed(
        self, amanager: AsyncSessionManager, aclient: Client, clock: ManualClock
    ) -> None:
        app = starlette_app(amanager)
        refresh = set_cookies(await signin(aclient(app)))["sRefreshToken"]["value"]
        tabs = [aclient(app, cookies={"sRefreshToken": str(refresh)}) for _ in range(2)]
        clock.advance(minutes=16)
        responses = await asyncio.gather(*(tab.post(REFRESH) for tab in tabs))
        assert [r.status_code for r in responses] == [200, 200]
        first, second = (set_cookies(r)["sRefreshToken"]["value"] for r in responses)
        assert first == second  # one child per parent: no orphaned branch, no theft alarm
        assert (await tabs[0].get("/me")).json()["user"] == "alice"

    async def test_app_under_a_root_path_scopes_the_refresh_cookie_below_it(
        self, amanager: AsyncSessionManager, clock: ManualClock
    ) -> None:
        transport = httpx.ASGITransport(app=starlette_app(amanager), root_path="/api")
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            cookies = set_cookies(await client.post("/api/signin", json={"user": "alice"}))
            assert cookies["sRefreshToken"]["path"] == "/api" + REFRESH
            assert cookies["sAccessToken"]["path"] == "/"
            clock.advance(minutes=16)
            # the client's cookie jar sends the refresh cookie only below its Path
            response = await client.post("/api" + REFRESH)
            assert response.status_code == 200, response.text
            assert set_cookies(response)["sRefreshToken"]["path"] == "/api" + REFRESH
            assert (await client.get("/api/me")).json()["user"] == "alice"

    async def test_a_session_made_in_a_mounted_app_keeps_the_refresh_cookie_of_the_outer_app(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        # routing rewrites the scope's root_path on its way in: the refresh route is the
        # middleware's, so its cookie must stay scoped to the middleware's mount path
        async def signin(request: Request) -> Response:
            await create_new_session(request, "alice")
            return JSONResponse({})

        app = Starlette(
            routes=[Mount("/sub", routes=[Route("/signin", signin, methods=["POST"])])],
            middleware=[Middleware(SessionMiddleware, manager=amanager)],
        )
        cookies = set_cookies(await aclient(app).post("/sub/signin"))
        assert cookies["sRefreshToken"]["path"] == REFRESH

    async def test_refresh_without_token_is_401(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        response = await aclient(starlette_app(amanager)).post(REFRESH)
        assert response.status_code == 401
        assert "set-cookie" not in response.headers

    async def test_get_on_refresh_path_is_not_the_refresh_route(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        assert (await aclient(starlette_app(amanager)).get(REFRESH)).status_code == 404

    async def test_reused_refresh_token_is_theft(
        self, amanager: AsyncSessionManager, aclient: Client, clock: ManualClock
    ) -> None:
        thefts: list[tuple[str, str, str]] = []

        async def record(request: Request, error: TokenTheftDetected) -> None:
            thefts.append((request.url.path, error.handle, error.user_id))

        app = starlette_app(amanager, on_token_theft=record)
        client = aclient(app)
        stolen = set_cookies(await signin(client))["sRefreshToken"]["value"]
        handle = await _handle(amanager, "alice")
        assert (await client.post(REFRESH)).status_code == 200
        clock.advance(minutes=1)  # past the grace window
        thief = aclient(app, cookies={"sRefreshToken": str(stolen)})
        response = await thief.post(REFRESH)
        assert response.status_code == 401
        assert response.json()["error"] == "token_theft_detected"
        assert set(set_cookies(response)) == {"sAccessToken", "sRefreshToken"}
        assert {c["max-age"] for c in set_cookies(response).values()} == {"0"}
        assert thefts == [(REFRESH, handle, "alice")]
        assert await amanager.get_session_information(handle) is None
        assert (await client.post(REFRESH)).status_code == 401  # the victim is out too

    async def test_signout_revokes_and_clears_cookies(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager, cookie_domain="example.com"))
        set_ = set_cookies(await signin(client))
        handle = await _handle(amanager, "alice")
        response = await client.post("/auth/signout")
        assert response.status_code == 200
        cleared = set_cookies(response)
        assert set(cleared) == {"sAccessToken", "sRefreshToken"}
        for name, cookie in cleared.items():
            assert cookie["value"] == ""
            assert cookie["max-age"] == "0"
            flags = ("path", "domain", "secure", "httponly", "samesite")
            assert {k: cookie[k] for k in flags} == {k: set_[name][k] for k in flags}
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["vary"] == "Cookie"
        assert await amanager.get_session_information(handle) is None
        assert (await client.get("/me")).status_code == 401

    async def test_session_revoked_directly_clears_cookies_as_set(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager, cookie_domain="example.com"))
        set_ = set_cookies(await signin(client))
        response = await client.post("/quit")
        assert response.json() == {"revoked": True}
        cleared = set_cookies(response)
        assert set(cleared) == {"sAccessToken", "sRefreshToken"}
        flags = ("path", "domain", "secure", "httponly", "samesite")
        for name, cookie in cleared.items():
            assert (cookie["value"], cookie["max-age"]) == ("", "0")
            assert {k: cookie[k] for k in flags} == {k: set_[name][k] for k in flags}
        assert response.headers["cache-control"] == "no-store"
        assert await amanager.get_all_session_handles_for_user("alice") == []

    async def test_session_revoked_directly_empties_the_token_headers(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        signed = await client.post(
            "/signin", json={"user": "bob"}, headers={"auth-mode": "header"}
        )
        bearer = {"authorization": f"Bearer {signed.headers['access-token']}"}
        response = await client.post("/quit", headers=bearer)
        assert (response.headers["access-token"], response.headers["refresh-token"]) == ("", "")
        assert "set-cookie" not in response.headers

    async def test_revoke_in_a_route_clears_cookies(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client)
        response = await client.post("/leave")
        assert set(set_cookies(response)) == {"sAccessToken", "sRefreshToken"}
        assert {c["max-age"] for c in set_cookies(response).values()} == {"0"}
        assert await amanager.get_all_session_handles_for_user("alice") == []


class TestHeaderTransfer:
    async def test_header_mode_returns_tokens_in_headers(
        self, amanager: AsyncSessionManager, aclient: Client, clock: ManualClock
    ) -> None:
        client = aclient(starlette_app(amanager))
        response = await client.post(
            "/signin", json={"user": "bob"}, headers={"auth-mode": "header"}
        )
        assert "set-cookie" not in response.headers
        access, refresh = response.headers["access-token"], response.headers["refresh-token"]
        assert response.headers["cache-control"] == "no-store"
        me = await client.get("/me", headers={"authorization": f"Bearer {access}"})
        assert me.json()["user"] == "bob"
        assert "access-token" not in me.headers
        clock.advance(minutes=16)
        expired = await client.get("/me", headers={"authorization": f"Bearer {access}"})
        assert expired.json()["error"] == "try_refresh_token"
        rotated = await client.post(REFRESH, headers={"authorization": f"Bearer {refresh}"})
        assert rotated.status_code == 200
        assert "set-cookie" not in rotated.headers
        assert rotated.headers["refresh-token"] not in ("", refresh)
        new_access = rotated.headers["access-token"]
        me = await client.get("/me", headers={"authorization": f"Bearer {new_access}"})
        assert me.json()["user"] == "bob"

    async def test_bad_bearer_token_empties_the_token_headers(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        response = await client.get("/me", headers={"authorization": "Bearer nonsense"})
        assert response.status_code == 401
        assert response.headers["access-token"] == ""
        assert response.headers["refresh-token"] == ""
        assert "set-cookie" not in response.headers

    async def test_cookie_only_ignores_bearer_tokens(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager, transfer="cookie"))
        response = await client.post(
            "/signin", json={"user": "c"}, headers={"auth-mode": "header"}
        )
        assert "sAccessToken" in set_cookies(response)
        assert "access-token" not in response.headers


class TestAntiCsrf:
    async def test_samesite_none_defaults_to_custom_header(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager, cookie_samesite="none"))
        await signin(client)
        assert (await client.get("/me")).status_code == 200  # safe method: no check
        refused = await client.post("/payload", json={"a": 1})
        assert refused.status_code == 403
        assert refused.json()["error"] == "anti_csrf_check_failed"
        assert "set-cookie" not in refused.headers
        allowed = await client.post("/payload", json={"a": 1}, headers={"anti-csrf": "1"})
        assert allowed.status_code == 200
        assert (await client.post(REFRESH)).status_code == 403
        assert (await client.post(REFRESH, headers={"anti-csrf": "1"})).status_code == 200

    async def test_lax_cookies_need_no_header(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager))
        await signin(client)
        assert (await client.post("/payload", json={"a": 1})).status_code == 200

    async def test_token_mode_checks_the_session_token(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        app = starlette_app(amanager, anti_csrf="token")
        client = aclient(app)
        signed = await signin(client)
        token = signed.headers["anti-csrf"]
        assert token == await amanager.anti_csrf_token(await _handle(amanager, "alice"))
        other = (await signin(aclient(app), "mallory")).headers["anti-csrf"]
        assert token != other
        for wrong in ({}, {"anti-csrf": other}):
            assert (await client.post("/payload", json={}, headers=wrong)).status_code == 403
        ok = await client.post("/payload", json={}, headers={"anti-csrf": token})
        assert ok.status_code == 200
        assert (await client.post(REFRESH)).status_code == 403
        refreshed = await client.post(REFRESH, headers={"anti-csrf": token})
        assert refreshed.headers["anti-csrf"] == token  # one token for the session's life

    async def test_header_mode_needs_no_check(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        client = aclient(starlette_app(amanager, cookie_samesite="none"))
        signed = await client.post("/signin", json={"user": "d"}, headers={"auth-mode": "header"})
        bearer = {"authorization": f"Bearer {signed.headers['access-token']}"}
        assert (await client.post("/payload", json={}, headers=bearer)).status_code == 200


class TestKeyLoading:
    async def test_lifespan_startup_loads_the_keys(
        self, amanager: AsyncSessionManager, make_amanager: MakeAsync, aclient: Client
    ) -> None:
        access = (await amanager.create_session("alice")).access_token
        calls: list[str] = []
        fresh = make_amanager(calls=calls)  # a new process: keys in the store, none loaded
        app = starlette_app(fresh)
        async with lifespan(app) as sent:
            assert [message["type"] for message in sent] == ["lifespan.startup.complete"]
            assert fresh.keys_loaded
            calls.clear()
            response = await aclient(app, cookies={"sAccessToken": access}).get("/me")
            assert response.json() == {"user": "alice", "payload": {}}
            assert calls == []

    async def test_startup_fails_when_the_keys_cannot_load(self, make_amanager: MakeAsync) -> None:
        down = make_amanager()
        await down.close()
        async with lifespan(starlette_app(down)) as sent:
            assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
            assert "StorageUnavailable" in sent[0]["message"]

    async def test_concurrent_first_requests_without_lifespan_load_the_keys_once(
        self, amanager: AsyncSessionManager, store_url: str, clock: ManualClock, aclient: Client
    ) -> None:
        access = (await amanager.create_session("alice")).access_token
        store = YieldingKeyStore(sessionjar.open_async_store(store_url))
        fresh = AsyncSessionManager(cast(AsyncStore, store), clock=clock)
        try:
            app = starlette_app(fresh)
            clients = [aclient(app, cookies={"sAccessToken": access}) for _ in range(6)]
            responses = await asyncio.gather(*(client.get("/me") for client in clients))
            assert [r.json()["user"] for r in responses] == ["alice"] * 6
            assert store.listings == 1
        finally:
            await fresh.close()

    async def test_keys_that_cannot_load_make_a_503(
        self, make_amanager: MakeAsync, aclient: Client
    ) -> None:
        down = make_amanager()
        await down.close()
        response = await aclient(starlette_app(down)).get("/maybe")
        assert response.status_code == 503
        assert response.json()["error"] == "storage_unavailable"


class TestIsolation:
    async def test_interleaved_requests_keep_their_users(
        self, amanager: AsyncSessionManager, aclient: Client
    ) -> None:
        users = [f"user-{n}" for n in range(12)]
        barrier = Barrier(len(users))
        app = starlette_app(amanager, barrier=barrier)
        clients = {user: aclient(app) for user in users}
        for user, client in clients.items():
            await signin(client, user, payload={"name": user})
        responses = await asyncio.gather(*(c.get("/me") for c in clients.values()))
        assert barrier.arrived == len(users)  # every request was in flight at once
        assert [r.json() for r in responses] == [
            {"user": u, "payload": {"name": u}} for u in users
        ]
        assert all("set-cookie" not in r.headers for r in responses)

    async def test_anonymous_requests_touch_no_store(
        self, store_url: str, clock: ManualClock, aclient: Client
    ) -> None:
        store = RecordingStore(sessionjar.open_async_store(store_url))
        async with AsyncSessionManager(cast(AsyncStore, store), clock=clock) as manager:
            store.calls.clear()
            client = aclient(starlette_app(manager))
            responses = [await client.get(path) for path in ("/maybe", "/me", "/data")]
            for path in (REFRESH, "/auth/signout", "/leave"):
                responses.append(await client.post(path))
            assert store.calls == []
            for response in responses:
                assert "set-cookie" not in response.headers, response.url
                assert "cache-control" not in response.headers, response.url

    async def test_non_http_scopes_pass_straight_through(
        self, amanager: AsyncSessionManager
    ) -> None:
        seen: list[dict[str, Any]] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            seen.append(scope)

        scope = {"type": "lifespan"}
        await SessionMiddleware(app, amanager)(scope, None, None)  # type: ignore[arg-type]
        assert seen == [{"type": "lifespan"}]


def test_repeated_header_lines_are_joined_in_order() -> None:
    # as WSGI servers and Django do; cookies as HTTP/2 splits them
    raw = [
        (b"x-forwarded-for", b"6.6.6.6"),
        (b"cookie", b"a=1"),
        (b"x-forwarded-for", b"198.51.100.4"),
        (b"cookie", b"b=2"),
    ]
    headers = _ScopeHeaders(raw)
    assert headers.get("X-Forwarded-For") == "6.6.6.6, 198.51.100.4"
    assert headers.get("cookie") == "a=1; b=2"
    assert headers.get("user-agent") is None
