"""`SessionInformation`: what the manager tells about a session by handle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import final

from sessionjar._types import JSONObject
from sessionjar.storage import SessionRecord

__all__ = ["SessionInformation"]


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class SessionInformation:
    """A snapshot of a live session, read from the store by handle."""

    __module__ = "sessionjar"

    handle: str
    """The session's handle."""
    tenant: str
    """The tenant the session belongs to."""
    user_id: str
    """The user the session was created for."""
    created_at: datetime
    """When the session was created."""
    expires_at: datetime
    """When the session expires unless refreshed (the refresh token's expiry)."""
    absolute_deadline: datetime | None
    """When the session ends however often it is refreshed, if ever."""
    access_payload: JSONObject
    """The user payload every access token of the session carries."""
    session_data: JSONObject
    """The server-side data of the session."""

    @classmethod
    def from_record(cls, record: SessionRecord) -> SessionInformation:
        """Return the information a stored record holds."""
        return cls(
            handle=record.handle,
            tenant=record.tenant,
            user_id=record.user_id,
            created_at=record.created_at,
            expires_at=record.expires_at,
            absolute_deadline=record.absolute_deadline,
            access_payload=record.access_payload,
            session_data=record.session_data,
        )
