"""Helpers and fixtures of the web-layer tests: a Starlette app, clients, cookie parsing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from sessionjar import AsyncSessionManager
from sessionjar.starlette import (
    SessionMiddleware,
    TheftHook,
    WebOptions,
    create_new_session,
    get_session,
    revoke_session,
)

__all__ = [
    "BASE_URL",
    "RecordingStore",
    "YieldingKeyStore",
    "lifespan",
    "SetCookie",
    "set_cookies",
    "starlette_app",
    "Barrier",
    "aclient",
]

BASE_URL = "https://app.example.com"
"""Secure cookies travel over https only, so the clients speak it."""

SetCookie = dict[str, str | bool]
"""One parsed Set-Cookie header: ``value`` plus each attribute, lower-cased."""


def set_cookies(response: httpx.Response) -> dict[str, SetCookie]:
    """Return the response's Set-Cookie headers by cookie name."""
    parsed: dict[str, SetCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = header.split("; ")
        name, _, value = first.partition("=")
        cookie: SetCookie = {"value": value}
        for attribute in attributes:
            key, eq, attr_value = attribute.partition("=")
            cookie[key.lower()] = attr_value if eq else True
        parsed[name] = cookie
    return parsed


class RecordingStore:
    """A real store that records the name of every method called on it."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if not callable(attribute):
            return attribute

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attribute(*args, **kwargs)

        return recorded


class YieldingKeyStore:
    """A real async store whose key listing first yields to the event loop a few times,
    so that concurrent callers interleave; counts the listings."""

    def __init__(self, store: object) -> None:
        self._store = store
        self.listings = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def list_signing_keys(self) -> Any:
        """Count, yield, then list the keys of the real store."""
        self.listings += 1
        for _ in range(5):
            await asyncio.sleep(0)
        return await self._store.list_signing_keys()  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def lifespan(app: ASGIApp) -> AsyncIterator[list[Message]]:
    """Run the app's ASGI lifespan around the block, as a server does; yield what it sent.

    Startup completes (or fails) before the block; shutdown follows it.
    """
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    sent: list[Message] = []
    answered = asyncio.Event()

    async def send(message: Message) -> None:
        sent.append(message)
        answered.set()

    async def run() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await app(scope, inbox.get, send)

    task = asyncio.create_task(run())
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait_for(answered.wait(), timeout=10)
    try:
        yield sent
    finally:
        if sent[0]["type"] == "lifespan.startup.complete":
            await inbox.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(task, timeout=10)
        else:  # a failed startup re-raises its error once reported
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=10)


class Barrier:
    """Holds requests until ``parties`` of them wait, so that their handling interleaves."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.event = asyncio.Event()

    async def wait(self) -> None:
        """Wait until every party has arrived."""
        self.arrived += 1
        if self.arrived >= self.parties:
            self.event.set()
        await asyncio.wait_for(self.event.wait(), timeout=10)


def _session_json(session: Any) -> dict[str, Any]:
    if session is None:
        return {"user": None}
    return {"user": session.get_user_id(), "payload": session.get_jwt_payload()}


def starlette_app(
    manager: AsyncSessionManager,
    *,
    barrier: Barrier | None = None,
    on_token_theft: TheftHook | None = None,
    **options: Any,
) -> Starlette:
    """Return a Starlette app with the middleware and routes that exercise each helper."""

    async def signin(request: Request) -> Response:
        body = await request.json()
        session = await create_new_session(
            request,
            body["user"],
            access_payload=body.get("payload"),
            session_data=body.get("data"),
        )
        # A cacheable response: sessionjar must replace this with no-store, and keep Vary.
        headers = {"Cache-Control": "max-age=60", "Vary": "Accept-Encoding"}
        return JSONResponse(_session_json(session), headers=headers)

    async def me(request: Request) -> Response:
        session = await get_session(request)
        if barrier is not None:
            await barrier.wait()
        return JSONResponse(_session_json(session))

    async def maybe(request: Request) -> Response:
        return JSONResponse(_session_json(await get_session(request, session_required=False)))

    async def strict(request: Request) -> Response:
        return JSONResponse(_session_json(await get_session(request, check_database=True)))

    async def payload(request: Request) -> Response:
        session = await get_session(request)
        await session.update_jwt_payload(await request.json())
        return JSONResponse(_session_json(session))

    async def data(request: Request) -> Response:
        session = await get_session(request)
        if request.method == "POST":
            await session.update_session_data(await request.json())
        return JSONResponse(await session.get_session_data())

    async def leave(request: Request) -> Response:
        await revoke_session(request)
        return JSONResponse({"left": True})

    async def quit_(request: Request) -> Response:
        session = await get_session(request)
        await session.revoke_session()  # on the session itself, not through the helper
        return JSONResponse({"revoked": session.revoked})

    routes = [
        Route("/signin", signin, methods=["POST"]),
        Route("/me", me),
        Route("/maybe", maybe),
        Route("/strict", strict),
        Route("/payload", payload, methods=["POST"]),
        Route("/data", data, methods=["GET", "POST"]),
        Route("/leave", leave, methods=["POST"]),
        Route("/quit", quit_, methods=["POST"]),
    ]
    web_options: WebOptions = options  # type: ignore[assignment]
    middleware = Middleware(
        SessionMiddleware, manager=manager, on_token_theft=on_token_theft, **web_options
    )
    return Starlette(routes=routes, middleware=[middleware])


@pytest.fixture
async def aclient() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Build httpx clients on an ASGI app in the test's event loop (closed at teardown)."""
    made: list[httpx.AsyncClient] = []

    def make(app: Any, **kwargs: Any) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app)
        made.append(httpx.AsyncClient(transport=transport, base_url=BASE_URL, **kwargs))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()
