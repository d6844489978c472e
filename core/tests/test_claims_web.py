"""Claim validators through the Starlette, FastAPI and Flask layers: 403 bodies, per-route
overrides (also on a session verified earlier in the request), re-fetched values sent as a
new access token, no storage I/O when fresh."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fix_manager import MakeAsync, MakeSync
from flask import Blueprint, Flask, request
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sessionjar import AsyncSession, AsyncSessionManager, SessionManager
from sessionjar import flask as sj_flask
from sessionjar import starlette as sj_starlette
from sessionjar._web import WebOptions
from sessionjar.claims import ClaimValidator, RolesClaim
from sessionjar.fastapi import verify_session
from sessionjar.testing import ManualClock

ROLES: dict[str, list[str]] = {}
"""Roles by user, as the app's directory holds them (each test sets its own)."""
FETCHED: list[str] = []
"""The users whose roles were fetched, in order."""


def fetch_roles(user_id: str, tenant: str) -> list[str]:
    FETCHED.append(user_id)
    return ROLES.get(user_id, [])


Roles = RolesClaim(fetch_roles)
NOT_BANNED = Roles.excludes("banned")
"""The global validator: every route refuses banned users, unless it overrides."""


def admins(validators: list[ClaimValidator]) -> list[ClaimValidator]:
    return [*validators, Roles.includes("admin", max_age=timedelta(minutes=5))]


def anyone(validators: list[ClaimValidator]) -> list[ClaimValidator]:
    return []


@pytest.fixture(autouse=True)
def directory() -> None:
    ROLES.clear()
    ROLES.update(alice=["admin"], bob=["viewer"], mallory=["banned", "admin"])
    FETCHED.clear()


def forbidden(reason: dict[str, Any]) -> dict[str, Any]:
    return {
        "error": "invalid_claim",
        "message": "invalid claim",
        "claim_validation_errors": [{"key": "roles", "reason": reason}],
    }


NOT_ADMIN = forbidden(
    {"message": "wrong value", "expected_to_include": "admin", "actual_value": ["viewer"]}
)


def starlette_claims_app(manager: AsyncSessionManager, **options: Any) -> Starlette:
    async def signin(request: Request) -> Response:
        await sj_starlette.create_new_session(request, (await request.json())["user"])
        return JSONResponse({})

    async def me(request: Request) -> Response:
        session = await sj_starlette.get_session(request)
        return JSONResponse({"roles": Roles.value_of(session.get_jwt_payload())})

    async def admin(request: Request) -> Response:
        await sj_starlette.get_session(request, override_global_claim_validators=admins)
        return JSONResponse({"admin": True})

    async def public(request: Request) -> Response:
        await sj_starlette.get_session(request, override_global_claim_validators=anyone)
        return JSONResponse({"public": True})

    async def guarded_admin(request: Request) -> Response:
        await sj_starlette.get_session(request, session_required=False)
        return await admin(request)

    async def other(request: Request) -> Response:
        bob = await manager.create_session("bob")
        await manager.get_session(bob.access_token, override_global_claim_validators=admins)
        return JSONResponse({})

    routes = [
        Route("/signin", signin, methods=["POST"]),
        Route("/me", me),
        Route("/admin", admin, methods=["GET", "POST"]),
        Route("/public", public),
        Route("/guarded/admin", guarded_admin),
        Route("/other", other),
    ]
    middleware = Middleware(sj_starlette.SessionMiddleware, manager=manager, **options)
    return Starlette(routes=routes, middleware=[middleware])


def fastapi_claims_app(manager: AsyncSessionManager, **options: Any) -> FastAPI:
    app = FastAPI()
    app.add_middleware(sj_starlette.SessionMiddleware, manager=manager, **options)

    @app.post("/signin")
    async def signin(request: Request) -> dict[str, Any]:
        await sj_starlette.create_new_session(request, (await request.json())["user"])
        return {}

    @app.get("/me")
    async def me(session: AsyncSession = Depends(verify_session())) -> dict[str, Any]:  # noqa: B008
        return {"roles": Roles.value_of(session.get_jwt_payload())}

    @app.api_route("/admin", methods=["GET", "POST"])
    async def admin(
        session: AsyncSession = Depends(verify_session(override_global_claim_validators=admins)),  # noqa: B008
    ) -> dict[str, Any]:
        return {"admin": True}

    @app.get("/public")
    async def public(
        session: AsyncSession = Depends(verify_session(override_global_claim_validators=anyone)),  # noqa: B008
    ) -> dict[str, Any]:
        return {"public": True}

    guarded = APIRouter(dependencies=[Depends(verify_session())])

    @guarded.get("/guarded/admin")
    async def guarded_admin(
        session: AsyncSession = Depends(verify_session(override_global_claim_validators=admins)),  # noqa: B008
    ) -> dict[str, Any]:
        return {"admin": True}

    @app.get("/other")
    async def other() -> dict[str, Any]:
        bob = await manager.create_session("bob")
        await manager.get_session(bob.access_token, override_global_claim_validators=admins)
        return {}

    app.include_router(guarded)
    return app


def flask_claims_app(manager: SessionManager, **options: Any) -> Flask:
    app = Flask(__name__)
    app.testing = True
    sj_flask.SessionExtension(app, manager=manager, **options)

    @app.post("/signin")
    def signin() -> Any:
        sj_flask.create_new_session(request.get_json()["user"])
        return {}

    @app.get("/me")
    @sj_flask.verify_session()
    def me() -> Any:
        return {"roles": Roles.value_of(sj_flask.get_session().get_jwt_payload())}

    @app.route("/admin", methods=["GET", "POST"])
    @sj_flask.verify_session(override_global_claim_validators=admins)
    def admin() -> Any:
        return {"admin": True}

    @app.get("/public")
    @sj_flask.verify_session(override_global_claim_validators=anyone)
    def public() -> Any:
        return {"public": True}

    guarded = Blueprint("guarded", __name__)

    @guarded.before_request
    def verify_any() -> None:
        sj_flask.get_session(session_required=False)

    @guarded.get("/guarded/admin")
    @sj_flask.verify_session(override_global_claim_validators=admins)
    def guarded_admin() -> Any:
        return {"admin": True}

    @app.get("/other")
    def other() -> Any:
        bob = manager.create_session("bob")
        manager.get_session(bob.access_token, override_global_claim_validators=admins)
        return {}

    app.register_blueprint(guarded)
    return app


@dataclass
class Answer:
    """A response, whatever the framework: status, JSON body, the cookies it sets."""

    status: int
    body: Any
    cookies: dict[str, str]


def _cookies(headers: list[str]) -> dict[str, str]:
    pairs = (header.split(";", 1)[0].partition("=") for header in headers)
    return {name: value for name, _, value in pairs}


Get = Callable[[str], Awaitable[Answer]]


def _split(path: str) -> tuple[str, str, Any]:
    """Return the method, path and JSON body of a call: ``/signin?user=U`` posts the
    user, ``/auth/signout`` and ``POST /path`` post nothing, every other path is a GET."""
    if path.startswith("POST "):
        return "POST", path.removeprefix("POST "), None
    route, _, user = path.partition("?user=")
    if route == "/signin":
        return "POST", route, {"user": user}
    return ("POST", route, None) if route == "/auth/signout" else ("GET", route, None)


@pytest.fixture
def web_options() -> WebOptions:
    """The web options of the claims app (a test may parametrize them)."""
    return {}


@pytest.fixture(params=["starlette", "fastapi", "flask"])
def web(
    request: pytest.FixtureRequest,
    make_amanager: MakeAsync,
    make_manager: MakeSync,
    aclient: Callable[..., httpx.AsyncClient],
    web_options: WebOptions,
) -> tuple[Get, list[str]]:
    """A client of the claims app on one framework (see `_split`), and the list of the
    store methods its manager calls."""
    calls: list[str] = []
    options: dict[str, Any] = {"calls": calls, "claim_validators": [NOT_BANNED]}
    if request.param == "flask":
        manager = make_manager(**options)
        client = flask_claims_app(manager, **web_options).test_client()
        client.environ_base["wsgi.url_scheme"] = "https"

        async def flask_call(path: str) -> Answer:
            method, path, body = _split(path)
            response = client.open(path, method=method, json=body)
            return Answer(
                response.status_code,
                response.json,
                _cookies(response.headers.getlist("Set-Cookie")),
            )

        return flask_call, calls
    amanager = make_amanager(**options)
    make_app = starlette_claims_app if request.param == "starlette" else fastapi_claims_app
    app = make_app(amanager, **web_options)
    aclient_ = aclient(app)

    async def asgi_call(path: str) -> Answer:
        method, path, body = _split(path)
        response = await aclient_.request(method, path, json=body)
        return Answer(
            response.status_code,
            response.json(),
            _cookies(response.headers.get_list("set-cookie")),
        )

    return asgi_call, calls


async def signin(get: Get, user: str) -> None:
    answer = await get(f"/signin?user={user}")
    assert answer.status == 200, answer.body
    assert "sAccessToken" in answer.cookies


async def test_a_failed_validator_answers_403_naming_the_claim(web: tuple[Get, list[str]]) -> None:
    get, _ = web
    await signin(get, "bob")
    answer = await get("/admin")
    assert (answer.status, answer.body) == (403, NOT_ADMIN)
    assert answer.cookies == {}  # tokens kept: the session is fine, the route is not for bob
    assert (await get("/me")).body == {"roles": ["viewer"]}


async def test_global_validators_run_unless_a_route_overrides_them(
    web: tuple[Get, list[str]],
) -> None:
    get, _ = web
    await signin(get, "mallory")
    answer = await get("/me")
    assert answer.status == 403
    assert answer.body == forbidden(
        {
            "message": "wrong value",
            "expected_to_exclude": "banned",
            "actual_value": ["banned", "admin"],
        }
    )
    assert (await get("/admin")).status == 403  # the override extends the global list
    assert (await get("/public")).body == {"public": True}  # ... or replaces it


async def test_a_user_every_route_refuses_can_still_sign_out(
    web: tuple[Get, list[str]],
) -> None:
    get, calls = web
    await signin(get, "mallory")
    assert (await get("/me")).status == 403
    calls.clear()
    answer = await get("/auth/signout")
    assert answer.status == 200
    assert answer.cookies == {"sAccessToken": "", "sRefreshToken": ""}
    assert calls == ["delete"]


async def test_a_fresh_value_costs_no_storage_io(
    web: tuple[Get, list[str]], clock: ManualClock
) -> None:
    get, calls = web
    await signin(get, "alice")
    calls.clear()
    clock.advance(minutes=5)
    for path in ("/me", "/admin", "/public"):
        answer = await get(path)
        assert (answer.status, answer.cookies) == (200, {}), path
    assert calls == []
    assert FETCHED == ["alice"]


async def test_a_stale_value_is_fetched_again_and_sent_as_a_new_access_token(
    web: tuple[Get, list[str]], clock: ManualClock
) -> None:
    get, calls = web
    await signin(get, "alice")
    calls.clear()
    clock.advance(minutes=6)
    answer = await get("/admin")
    assert answer.status == 200
    assert set(answer.cookies) == {"sAccessToken"}
    assert calls == ["get", "update"]
    calls.clear()
    assert (await get("/admin")).cookies == {}  # the new token's value is fresh
    assert calls == []
    assert FETCHED == ["alice", "alice"]


async def test_a_value_fetched_on_a_refused_request_still_reaches_the_client(
    web: tuple[Get, list[str]], clock: ManualClock
) -> None:
    get, calls = web
    await signin(get, "alice")
    ROLES["alice"] = ["viewer"]  # demoted
    clock.advance(minutes=6)
    answer = await get("/admin")
    assert answer.status == 403
    assert set(answer.cookies) == {"sAccessToken"}
    calls.clear()
    assert (await get("/admin")).status == 403
    assert calls == []  # refused from the token: no second fetch
    assert FETCHED == ["alice", "alice"]


async def test_a_route_checks_its_claims_on_a_session_verified_earlier_in_the_request(
    web: tuple[Get, list[str]],
) -> None:
    get, _ = web
    await signin(get, "bob")
    answer = await get("/guarded/admin")
    assert (answer.status, answer.body) == (403, NOT_ADMIN)
    await signin(get, "alice")
    assert (await get("/guarded/admin")).body == {"admin": True}


async def test_a_session_the_app_looked_up_itself_never_reaches_the_client(
    web: tuple[Get, list[str]],
) -> None:
    get, _ = web
    await signin(get, "alice")
    answer = await get("/other")  # bob's session fails the admins' validators
    assert (answer.status, answer.cookies) == (403, {})


@pytest.mark.parametrize("web_options", [{"anti_csrf": "token"}])
async def test_a_forged_request_fetches_no_claim_and_writes_nothing(
    web: tuple[Get, list[str]], clock: ManualClock
) -> None:
    get, calls = web
    await signin(get, "alice")
    calls.clear()
    clock.advance(minutes=6)  # the admins' value is due
    answer = await get("POST /admin")  # no anti-CSRF token
    assert answer.status == 403
    assert answer.body["error"] != "invalid_claim"
    assert calls == []
    assert FETCHED == ["alice"]
