"""The session object handed to request handlers (async version)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sessionjar._claims import user_payload
from sessionjar._types import JSONObject

if TYPE_CHECKING:
    from sessionjar.manager_async import AsyncSessionManager

__all__ = ["AsyncSession"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class AsyncSession:
    """One session, as its access token (and, after create or refresh, its refresh token)
    describe it (async version).

    Built by `AsyncSessionManager`; the attributes are read-only facts of the session.
    ``refresh_token`` is set by `create_session` and `refresh_session` and is `None`
    after `get_session`; ``revoked`` turns true when `revoke_session` deletes it.
    """

    __module__ = "sessionjar"
    __slots__ = (
        "_claims",
        "_created_ms",
        "_expires_s",
        "_manager",
        "_payload",
        "access_token",
        "handle",
        "refresh_token",
        "revoked",
        "tenant",
        "user_id",
    )

    handle: str
    """The session's handle (its ``sid`` claim)."""
    tenant: str
    """The tenant the session belongs to (its ``tid`` claim)."""
    user_id: str
    """The user the session was created for (its ``sub`` claim)."""
    access_token: str
    """The current access token; replaced by `update_jwt_payload`."""
    refresh_token: str | None
    """The refresh token just issued, or `None` if this session came from an access token."""
    revoked: bool
    """Whether `revoke_session` deleted the session (the web layer then clears the tokens)."""

    def __init__(
        self,
        manager: AsyncSessionManager,
        *,
        handle: str,
        tenant: str,
        user_id: str,
        created_ms: int,
        expires_s: int,
        access_token: str,
        refresh_token: str | None,
        payload: JSONObject | None = None,
        claims: dict[str, Any] | None = None,
    ) -> None:
        self._manager = manager
        self.handle = handle
        self.tenant = tenant
        self.user_id = user_id
        self._created_ms = created_ms
        self._expires_s = expires_s
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.revoked = False
        # get_session passes the verified claims; the user payload is picked out of them
        # only if asked for, to keep verification lean.
        self._payload = payload
        self._claims = claims

    def __repr__(self) -> str:
        return f"<{type(self).__name__} handle={self.handle!r} user_id={self.user_id!r}>"

    @property
    def created_at(self) -> datetime:
        """When the session was created: to the millisecond on a session that create or
        refresh returned (read from its record), to the second on one that `get_session`
        verified (the token's ``auth_time``, an integer NumericDate)."""
        return _EPOCH + timedelta(milliseconds=self._created_ms)

    @property
    def access_token_expires_at(self) -> datetime:
        """When the current access token expires (the session's own expiry is
        `SessionInformation.expires_at`)."""
        return _EPOCH + timedelta(seconds=self._expires_s)

    def _read_payload(self) -> Mapping[str, Any]:
        # core's claim checks read the payload without get_jwt_payload's copy; the
        # verified claims hold it (beside the protected claims, which no claim uses)
        return self._payload if self._payload is not None else self._claims or {}

    def get_user_id(self) -> str:
        """Return the id of the session's user. Storage I/O: none."""
        return self.user_id

    def get_jwt_payload(self) -> JSONObject:
        """Return (a copy of) the user payload of the access token. Storage I/O: none.

        The protected claims (``sub``, ``sid``, ``exp`` …) are left out.
        """
        if self._payload is None:
            self._payload = user_payload(self._claims or {})
        return copy.deepcopy(self._payload)

    async def update_jwt_payload(self, payload: JSONObject) -> None:
        """Replace the access-token payload and issue a new `access_token` with the same expiry.

        Storage I/O: one write (and, at most once per key-rotation interval, a key load).

        Raises:
            SerializationError: the payload does not round-trip through JSON.
            ConfigurationError: the payload sets a protected claim.
            SessionNotFound: the session was revoked or has expired.
        """
        self.access_token = await self._manager._update_payload_and_mint(self, payload)
        self._payload = copy.deepcopy(payload)

    async def merge_jwt_payload(self, patch: JSONObject) -> None:
        """Merge ``patch`` into the access-token payload atomically and issue a new
        `access_token` with the same expiry.

        Only the top-level keys of ``patch`` change; a `None` value removes the key; a
        concurrent change of other keys is kept (see
        `AsyncSessionManager.merge_jwt_payload`). Protected claims can never be set or
        removed. Storage I/O: one read and one conditional write per attempt (at most 16;
        and, at most once per key-rotation interval, a key load).

        Raises:
            SerializationError: the patch does not round-trip through JSON.
            ConfigurationError: the patch names a protected claim.
            SessionNotFound: the session was revoked or has expired.
            UpdateConflict: other writes won every attempt; nothing was written.
        """
        self.access_token, self._payload = await self._manager._merge_payload_and_mint(self, patch)

    async def get_session_data(self) -> JSONObject:
        """Return the session data. Storage I/O: one read.

        Raises:
            SessionNotFound: the session was revoked or has expired.
        """
        return (await self._manager._read_live(self.handle)).session_data

    async def update_session_data(self, data: JSONObject) -> None:
        """Replace the session data whole. Storage I/O: one write.

        Never resurrects a revoked or expired session.

        Raises:
            SerializationError: the data does not round-trip through JSON.
            SessionNotFound: the session was revoked or has expired.
        """
        await self._manager.update_session_data(self.handle, data)

    async def merge_session_data(self, patch: JSONObject) -> JSONObject:
        """Merge ``patch`` into the session data atomically; return the data as written.

        Only the top-level keys of ``patch`` change; a `None` value removes the key; a
        concurrent change of other keys is kept. Never resurrects a revoked session.
        Storage I/O: one read and one conditional write per attempt (at most 16).

        Raises:
            SerializationError: the patch does not round-trip through JSON.
            SessionNotFound: the session was revoked or has expired.
            UpdateConflict: other writes won every attempt; nothing was written.
        """
        return await self._manager.merge_session_data(self.handle, patch)

    async def compare_and_set_session_data(self, expected: JSONObject, data: JSONObject) -> None:
        """Replace the session data with ``data`` only if it still equals ``expected``
        (what the caller read). Storage I/O: one read and one conditional write.

        Raises:
            SerializationError: ``data`` does not round-trip through JSON.
            SessionNotFound: the session was revoked or has expired.
            UpdateConflict: the data changed since it was read; nothing was written.
        """
        await self._manager.compare_and_set_session_data(self.handle, expected, data)

    async def revoke_session(self) -> None:
        """Delete the session and set `revoked`. Storage I/O: one delete.

        The refresh token stops working at once; the access token stops working at once
        where `get_session` is called with ``check_database=True``, and otherwise when it
        expires. The web layer clears the cookies of a revoked session.
        """
        await self._manager.revoke_session(self.handle)
        self.revoked = True
