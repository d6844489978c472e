"""What the Flask and the FastAPI flavours of the example share: the page and the replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sessionjar import (
    ConfigurationError,
    Device,
    JSONObject,
    SerializationError,
    SessionjarError,
    SessionLimit,
)

__all__ = [
    "PAGE",
    "SESSION_LIMIT",
    "first_payload",
    "first_data",
    "state",
    "bad_input",
    "device_list",
]

PAGE: Final = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")
"""The one HTML page; its script calls the JSON API below and the built-in routes."""

SESSION_LIMIT: Final = SessionLimit(5, "revoke_oldest")
"""At most five signed-in devices per user: a sixth sign-in signs the oldest out."""


def first_payload(user: str) -> JSONObject:
    """Return the access-token payload of a new session."""
    return {"name": user}


def first_data() -> JSONObject:
    """Return the session data of a new session."""
    return {"notes": ""}


def state(user: str, payload: JSONObject, data: JSONObject) -> dict[str, Any]:
    """Return the JSON body every API route answers with."""
    return {"user": user, "payload": payload, "data": data}


def bad_input(error: SessionjarError) -> JSONObject | None:
    """Return the 400 body for an error that is the user's bad input, else `None`.

    Each flavour overrides sessionjar's error mapping with it: here the only input is the
    user's own payload and data, so a value JSON cannot hold, or a protected claim, is
    the user's mistake rather than the programmer's.
    """
    if isinstance(error, SerializationError | ConfigurationError):
        return {"error": "bad_input", "message": str(error)}
    return None


def device_list(devices: list[Device], current: str) -> dict[str, Any]:
    """Return the JSON body of the "active sessions" routes; ``current`` is the handle
    of the request's own session."""
    return {
        "devices": [
            {
                "handle": device.handle,
                "user_agent": device.user_agent,
                "ip": device.ip,
                "signed_in": device.created_at.isoformat(timespec="seconds"),
                "last_seen": device.last_refreshed_at.isoformat(timespec="seconds"),
                "current": device.handle == current,
            }
            for device in devices
        ]
    }
