"""The example's Flask flavour: the sync API behind the shared page."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from examples.webapp.common import (
    PAGE,
    bad_input,
    device_list,
    first_data,
    first_payload,
    state,
)
from sessionjar import SessionjarError, SessionManager
from sessionjar.flask import (
    ErrorReply,
    SessionExtension,
    create_new_session,
    default_error_reply,
    get_session,
    verify_session,
)

__all__ = ["create_app"]


def error_reply(error: SessionjarError) -> ErrorReply | None:
    """sessionjar's mapping, with the user's bad JSON as 400."""
    body = bad_input(error)
    return default_error_reply(error) if body is None else ErrorReply(status=400, body=body)


def create_app(manager: SessionManager, *, secure_cookies: bool = True) -> Flask:
    """Return the app; the extension loads the manager's keys."""
    app = Flask(__name__)
    SessionExtension(app, manager=manager, cookie_secure=secure_cookies, error_reply=error_reply)

    @app.get("/")
    def page() -> Any:
        return PAGE

    @app.get("/api/framework")
    def framework() -> Any:
        return {"framework": "Flask"}

    @app.post("/api/signin")
    def signin() -> Any:
        user = str(request.get_json()["user"])
        session = create_new_session(
            user, access_payload=first_payload(user), session_data=first_data()
        )
        return state(user, session.get_jwt_payload(), first_data())

    @app.get("/api/me")
    @verify_session()
    def me() -> Any:
        session = get_session()
        return state(session.get_user_id(), session.get_jwt_payload(), session.get_session_data())

    @app.put("/api/payload")
    @verify_session()
    def payload() -> Any:
        session = get_session()
        session.update_jwt_payload(request.get_json())
        return state(session.get_user_id(), session.get_jwt_payload(), session.get_session_data())

    @app.put("/api/data")
    @verify_session()
    def data() -> Any:
        session = get_session()
        session.update_session_data(request.get_json())
        return state(session.get_user_id(), session.get_jwt_payload(), session.get_session_data())

    @app.get("/api/devices")
    @verify_session()
    def devices() -> Any:
        session = get_session()
        listed = manager.list_devices(session.get_user_id(), tenant=session.tenant)
        return device_list(listed, session.handle)

    @app.post("/api/devices/revoke")
    @verify_session()
    def revoke_device() -> Any:
        session = get_session()
        user_id, handle = session.get_user_id(), str(request.get_json()["handle"])
        manager.revoke_device(user_id, handle, tenant=session.tenant)
        return device_list(manager.list_devices(user_id, tenant=session.tenant), session.handle)

    return app
