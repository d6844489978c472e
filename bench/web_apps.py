"""The apps of the web benchmark: one Flask and one FastAPI app per contender.

Every app answers ``POST /signin`` (signs ``alice`` in) and ``GET /me`` (the protected
route: the signed-in user, as JSON). Contenders:

- ``plain``: no session layer; ``/me`` answers a constant.
- ``sessionjar`` / ``sessionjar-check``: `sessionjar.flask` (``@verify_session()``) or
  the `sessionjar.fastapi` dependency, default settings, on ``sqlite://``; ``-check``
  adds ``check_database=True``. ``sessionjar-redis`` / ``sessionjar-redis-check``: the
  same on Redis.
- ``peer``: Flask-Session with its Redis backend, or starsessions with its Redis store,
  default settings (a unique key prefix).
- ``signed-cookie``: Flask's own session, or Starlette's ``SessionMiddleware``.
- ``noop-dependency`` (FastAPI only): the plain route plus a dependency that does
  nothing: what FastAPI's dependency injection alone costs, the floor of any session
  dependency.
- ``noop-middleware`` (FastAPI only): the same behind a pure ASGI middleware that passes
  every message through a wrapped ``send`` and does nothing else: the floor of any
  session layer that writes cookies after the view, as ours does.
- ``noop-offload`` (FastAPI only): the do-nothing dependency, awaiting one call in a
  worker thread (``asyncio.to_thread``): the floor of ``check_database=True`` on a store
  whose client has no async flavour, such as ``sqlite://``.

Servers build them from the environment (`flask_from_env`, `fastapi_from_env`):
``BENCH_KIND``, ``BENCH_NS`` (namespace and key prefix), ``BENCH_SQLITE`` (file),
``BENCH_REDIS`` (URL).
"""

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from flask import Flask
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

FLASK_KINDS = (
    "plain",
    "sessionjar",
    "sessionjar-check",
    "sessionjar-redis",
    "sessionjar-redis-check",
    "peer",
    "signed-cookie",
)
FASTAPI_KINDS = (*FLASK_KINDS, "noop-dependency", "noop-middleware", "noop-offload")
SECRET = "bench-secret-bench-secret-bench-secret"


def store_url(kind: str, sqlite_path: str, redis_url: str) -> str:
    """Return the sessionjar store URL of a ``sessionjar*`` contender."""
    return redis_url if "redis" in kind else f"sqlite:///{sqlite_path}"


def flask_app(kind: str, namespace: str, sqlite_path: str, redis_url: str) -> "Flask":
    """Return the Flask app of contender ``kind``."""
    from flask import Flask, session

    app = Flask(f"bench-{kind}")
    if kind.startswith("sessionjar"):
        return _sessionjar_flask(app, kind, namespace, store_url(kind, sqlite_path, redis_url))
    if kind == "peer":
        import redis
        from flask_session import Session  # type: ignore[import-not-found,unused-ignore]

        app.config.update(
            SESSION_TYPE="redis",
            SESSION_REDIS=redis.Redis.from_url(redis_url),
            SESSION_KEY_PREFIX=f"{namespace}-fs:",
        )
        Session(app)
    elif kind == "signed-cookie":
        app.secret_key = SECRET

    @app.post("/signin")
    def signin() -> Any:
        if kind != "plain":
            session["user"] = "alice"
        return {"user": "alice"}

    @app.get("/me")
    def me() -> Any:
        return {"user": "alice" if kind == "plain" else session["user"]}

    return app


def _sessionjar_flask(app: "Flask", kind: str, namespace: str, url: str) -> "Flask":
    from sessionjar import SessionManager, open_store
    from sessionjar.flask import (
        SessionExtension,
        create_new_session,
        get_session,
        verify_session,
    )

    manager = SessionManager(open_store(url, namespace=namespace))
    SessionExtension(app, manager=manager)

    @app.post("/signin")
    def signin() -> Any:
        return {"user": create_new_session("alice").get_user_id()}

    @app.get("/me")
    @verify_session(check_database=kind.endswith("-check"))
    def me() -> Any:
        return {"user": get_session().get_user_id()}

    return app


def fastapi_app(kind: str, namespace: str, sqlite_path: str, redis_url: str) -> "FastAPI":
    """Return the FastAPI app of contender ``kind``."""
    from fastapi import FastAPI, Request

    app = FastAPI()
    if kind.startswith("sessionjar"):
        return _sessionjar_fastapi(app, kind, namespace, store_url(kind, sqlite_path, redis_url))
    if kind == "peer":
        from redis.asyncio import Redis
        from starsessions import (  # type: ignore[import-not-found,unused-ignore]
            SessionAutoloadMiddleware,
            SessionMiddleware,
        )
        from starsessions.stores.redis import (  # type: ignore[import-not-found,unused-ignore]
            RedisStore,
        )

        store = RedisStore(connection=Redis.from_url(redis_url), prefix=f"{namespace}-ss:")
        app.add_middleware(SessionAutoloadMiddleware)
        app.add_middleware(SessionMiddleware, store=store)
    elif kind == "signed-cookie":
        from starlette.middleware.sessions import SessionMiddleware as SignedCookies

        app.add_middleware(SignedCookies, secret_key=SECRET)
    elif kind.startswith("noop-"):
        return _noop_fastapi(app, kind)

    @app.post("/signin")
    async def signin(request: Request) -> Any:
        if kind != "plain":
            request.session["user"] = "alice"
        return {"user": "alice"}

    @app.get("/me")
    async def me(request: Request) -> Any:
        return {"user": "alice" if kind == "plain" else request.session["user"]}

    return app


def _noop_fastapi(app: "FastAPI", kind: str) -> "FastAPI":
    import asyncio

    from fastapi import Depends, Request

    async def nothing(request: Request) -> None:
        if kind == "noop-offload":
            await asyncio.to_thread(int)

    if kind == "noop-middleware":
        app.add_middleware(_PassThrough)

    @app.post("/signin")
    async def signin() -> Any:
        return {"user": "alice"}

    @app.get("/me")
    async def me(_: None = Depends(nothing)) -> Any:
        return {"user": "alice"}

    return app


class _PassThrough:
    """A pure ASGI middleware that wraps ``send`` and does nothing else."""

    def __init__(self, app: "ASGIApp") -> None:
        self.app = app

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def passed_on(message: "Message") -> None:
            await send(message)

        await self.app(scope, receive, passed_on)


def _sessionjar_fastapi(app: "FastAPI", kind: str, namespace: str, url: str) -> "FastAPI":
    from fastapi import Depends, Request

    from sessionjar import AsyncSession, AsyncSessionManager, open_async_store
    from sessionjar.fastapi import SessionMiddleware, create_new_session, verify_session

    manager = AsyncSessionManager(open_async_store(url, namespace=namespace))
    app.add_middleware(SessionMiddleware, manager=manager)
    verified = verify_session(check_database=kind.endswith("-check"))

    @app.post("/signin")
    async def signin(request: Request) -> Any:
        return {"user": (await create_new_session(request, "alice")).get_user_id()}

    @app.get("/me")
    async def me(session: AsyncSession = Depends(verified)) -> Any:  # noqa: B008
        return {"user": session.get_user_id()}

    return app


def _from_env() -> tuple[str, str, str, str]:
    env = os.environ
    return env["BENCH_KIND"], env["BENCH_NS"], env["BENCH_SQLITE"], env["BENCH_REDIS"]


def flask_from_env() -> "Flask":
    """Return the Flask app the environment names (for gunicorn)."""
    return flask_app(*_from_env())


def fastapi_from_env() -> "FastAPI":
    """Return the FastAPI app the environment names (for ``uvicorn --factory``)."""
    return fastapi_app(*_from_env())
