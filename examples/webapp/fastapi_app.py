"""The example's FastAPI flavour: the async API behind the shared page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from examples.webapp.common import (
    PAGE,
    bad_input,
    device_list,
    first_data,
    first_payload,
    state,
)
from sessionjar import AsyncSession, AsyncSessionManager, SessionjarError
from sessionjar.fastapi import (
    ErrorReply,
    SessionMiddleware,
    create_new_session,
    default_error_reply,
    verify_session,
)

__all__ = ["create_app"]

Verified = Annotated[AsyncSession, Depends(verify_session())]
JSONBody = Annotated[dict[str, Any], Body()]


def error_reply(error: SessionjarError) -> ErrorReply | None:
    """sessionjar's mapping, with the user's bad JSON as 400."""
    body = bad_input(error)
    return default_error_reply(error) if body is None else ErrorReply(status=400, body=body)


async def _state(session: AsyncSession) -> dict[str, Any]:
    return state(
        session.get_user_id(), session.get_jwt_payload(), await session.get_session_data()
    )


def create_app(manager: AsyncSessionManager, *, secure_cookies: bool = True) -> FastAPI:
    """Return the app; the middleware loads the manager's keys.

    The caller made the manager and closes it: a second app (or a second lifespan of
    this one, as each test's client runs) finds it open.
    """
    app = FastAPI()
    app.add_middleware(
        SessionMiddleware, manager=manager, cookie_secure=secure_cookies, error_reply=error_reply
    )

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        return PAGE

    @app.get("/api/framework")
    async def framework() -> dict[str, str]:
        return {"framework": "FastAPI"}

    @app.post("/api/signin")
    async def signin(request: Request, body: JSONBody) -> dict[str, Any]:
        user = str(body["user"])
        session = await create_new_session(
            request, user, access_payload=first_payload(user), session_data=first_data()
        )
        return state(user, session.get_jwt_payload(), first_data())

    @app.get("/api/me")
    async def me(session: Verified) -> dict[str, Any]:
        return await _state(session)

    @app.put("/api/payload")
    async def payload(session: Verified, body: JSONBody) -> dict[str, Any]:
        await session.update_jwt_payload(body)
        return await _state(session)

    @app.put("/api/data")
    async def data(session: Verified, body: JSONBody) -> dict[str, Any]:
        await session.update_session_data(body)
        return await _state(session)

    @app.get("/api/devices")
    async def devices(session: Verified) -> dict[str, Any]:
        listed = await manager.list_devices(session.get_user_id(), tenant=session.tenant)
        return device_list(listed, session.handle)

    @app.post("/api/devices/revoke")
    async def revoke_device(session: Verified, body: JSONBody) -> dict[str, Any]:
        user_id = session.get_user_id()
        await manager.revoke_device(user_id, str(body["handle"]), tenant=session.tenant)
        listed = await manager.list_devices(user_id, tenant=session.tenant)
        return device_list(listed, session.handle)

    return app
