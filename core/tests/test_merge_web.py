"""The merges through a web layer: a merged payload reaches the client as a new token."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sessionjar import AsyncSessionManager
from sessionjar.starlette import SessionMiddleware, create_new_session, get_session


def _app(manager: AsyncSessionManager) -> Starlette:
    async def signin(request: Request) -> Response:
        await create_new_session(request, "alice", access_payload={"a": 1})
        return JSONResponse({})

    async def merge(request: Request) -> Response:
        session = await get_session(request)
        await session.merge_jwt_payload(await request.json())
        data = await session.merge_session_data({"seen": True})
        return JSONResponse({"payload": session.get_jwt_payload(), "data": data})

    async def me(request: Request) -> Response:
        return JSONResponse((await get_session(request)).get_jwt_payload())

    routes = [
        Route("/signin", signin, methods=["POST"]),
        Route("/merge", merge, methods=["POST"]),
        Route("/me", me),
    ]
    return Starlette(routes=routes, middleware=[Middleware(SessionMiddleware, manager=manager)])


async def test_merged_payload_is_sent_as_a_new_access_token(
    amanager: AsyncSessionManager, aclient: Callable[..., httpx.AsyncClient]
) -> None:
    client = aclient(_app(amanager))
    await client.post("/signin")
    response = await client.post("/merge", json={"b": 2}, headers={"anti-csrf": "1"})
    assert response.json() == {"payload": {"a": 1, "b": 2}, "data": {"seen": True}}
    assert "sAccessToken" in response.headers.get("set-cookie", "")
    assert (await client.get("/me")).json() == {"a": 1, "b": 2}
