"""The FastAPI dependency on the Starlette middleware, through a real FastAPI app."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request
from fix_web import Barrier, set_cookies

from sessionjar import AsyncSession, AsyncSessionManager
from sessionjar.fastapi import SessionMiddleware, create_new_session, verify_session
from sessionjar.testing import ManualClock

Client = Callable[..., httpx.AsyncClient]
Required = Annotated[AsyncSession, Depends(verify_session())]
Optional = Annotated[AsyncSession | None, Depends(verify_session(session_required=False))]
Checked = Annotated[AsyncSession, Depends(verify_session(check_database=True))]


def fastapi_app(manager: AsyncSessionManager, barrier: Barrier | None = None) -> FastAPI:
    """Return a FastAPI app whose routes use each flavour of the dependency."""
    app = FastAPI()
    app.add_middleware(SessionMiddleware, manager=manager)

    @app.post("/signin/{user}")
    async def signin(user: str, request: Request) -> dict[str, Any]:
        session = await create_new_session(request, user, access_payload={"n": user})
        return {"user": session.get_user_id()}

    @app.get("/me")
    async def me(session: Required) -> dict[str, Any]:
        if barrier is not None:
            await barrier.wait()
        return {"user": session.get_user_id(), "payload": session.get_jwt_payload()}

    @app.get("/maybe")
    async def maybe(session: Optional) -> dict[str, Any]:
        return {"user": None if session is None else session.get_user_id()}

    @app.get("/strict")
    async def strict(session: Checked) -> dict[str, Any]:
        return {"data": await session.get_session_data()}

    return app


async def test_dependency_gives_the_session(
    amanager: AsyncSessionManager, aclient: Client
) -> None:
    client = aclient(fastapi_app(amanager))
    signed = await client.post("/signin/alice")
    assert set(set_cookies(signed)) == {"sAccessToken", "sRefreshToken"}
    assert (await client.get("/me")).json() == {"user": "alice", "payload": {"n": "alice"}}
    assert (await client.get("/maybe")).json() == {"user": "alice"}
    assert (await client.get("/strict")).json() == {"data": {}}


async def test_dependency_errors_become_session_responses(
    amanager: AsyncSessionManager, aclient: Client, clock: ManualClock
) -> None:
    client = aclient(fastapi_app(amanager))
    assert (await client.get("/me")).json()["error"] == "unauthorised"
    assert (await client.get("/maybe")).json() == {"user": None}
    await client.post("/signin/alice")
    clock.advance(minutes=16)
    response = await client.get("/me")
    assert response.status_code == 401
    assert response.json()["error"] == "try_refresh_token"
    assert (await client.post("/auth/session/refresh")).status_code == 200
    assert (await client.get("/me")).status_code == 200


async def test_per_route_check_database(amanager: AsyncSessionManager, aclient: Client) -> None:
    client = aclient(fastapi_app(amanager))
    await client.post("/signin/alice")
    await amanager.revoke_all_sessions_for_user("alice")
    assert (await client.get("/me")).status_code == 200
    response = await client.get("/strict")
    assert response.status_code == 401
    assert {c["max-age"] for c in set_cookies(response).values()} == {"0"}


async def test_interleaved_requests_keep_their_users(
    amanager: AsyncSessionManager, aclient: Client
) -> None:
    users = [f"u{n}" for n in range(8)]
    barrier = Barrier(len(users))
    app = fastapi_app(amanager, barrier)
    clients = [aclient(app) for _ in users]
    for user, client in zip(users, clients, strict=True):
        await client.post(f"/signin/{user}")
    responses = await asyncio.gather(*(client.get("/me") for client in clients))
    assert [r.json()["user"] for r in responses] == users


def test_frameworks_are_imported_only_when_used() -> None:
    code = (
        "import sys, sessionjar\n"
        "assert not {'flask', 'starlette', 'fastapi'} & set(sys.modules), 'core'\n"
        "import sessionjar.starlette, sessionjar.fastapi\n"
        "assert 'fastapi' not in sys.modules and 'flask' not in sys.modules, 'asgi'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
