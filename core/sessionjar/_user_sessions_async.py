"""The manager's methods about all of a user's sessions: list, devices, revoke (async version)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionjar import _events
from sessionjar._config import check_name
from sessionjar._devices import Device
from sessionjar._handles import check_handle
from sessionjar._rotation import is_live

if TYPE_CHECKING:
    from sessionjar._types import Clock
    from sessionjar.storage import AsyncStore

__all__ = ["AsyncUserSessions"]


class AsyncUserSessions:
    """What `AsyncSessionManager` does with a user's sessions as a whole (async version).

    A base of the manager; it uses the manager's store and clock.
    """

    _store: AsyncStore
    _clock: Clock

    async def revoke_all_sessions_for_user(
        self, user_id: str, *, tenant: str = "public"
    ) -> list[str]:
        """Delete every session of a user in a tenant; return their handles.

        Storage I/O: one delete.

        Raises:
            ConfigurationError: bad user id or tenant.
        """
        deleted = await self._store.delete_for_user(
            check_name(tenant, "tenant"), check_name(user_id, "user id")
        )
        if deleted and _events.active:
            _events.emit(
                "sessionjar_sessions_revoked", handles=deleted, user_id=user_id, tenant=tenant
            )
        return deleted

    async def get_all_session_handles_for_user(
        self, user_id: str, *, tenant: str = "public"
    ) -> list[str]:
        """Return the handles of a user's live sessions in a tenant. Storage I/O: one read.

        Raises:
            ConfigurationError: bad user id or tenant.
        """
        tenant, user_id = check_name(tenant, "tenant"), check_name(user_id, "user id")
        return await self._store.list_for_user(tenant, user_id, now=self._clock())

    async def list_devices(self, user_id: str, *, tenant: str = "public") -> list[Device]:
        """Return the devices of a user's live sessions in a tenant, newest sign-in first.

        Each tells the browser and system, the IP address and the times an "active
        sessions" page shows; pass its ``handle`` to `revoke_device`.
        Storage I/O: one read.

        Raises:
            ConfigurationError: bad user id or tenant.
        """
        tenant, user_id = check_name(tenant, "tenant"), check_name(user_id, "user id")
        now = self._clock()
        records = await self._store.list_sessions_for_user(tenant, user_id, now=now)
        devices = [Device.from_record(record) for record in records if is_live(record, now)]
        devices.sort(key=lambda device: (device.created_at, device.handle), reverse=True)
        return devices

    async def revoke_device(self, user_id: str, handle: str, *, tenant: str = "public") -> bool:
        """Sign a user out on one device: delete the session ``handle`` if it is a live
        session of this user and tenant; return whether it was deleted.

        A handle of another user's session is left alone (and `False` returned), so an
        "active sessions" page may pass on the handle its form sends back.
        Storage I/O: one read, and one delete when the session is the user's.

        Raises:
            ConfigurationError: bad user id or tenant.
            InvalidHandle: ``handle`` is not a well-formed handle.
        """
        tenant, user_id = check_name(tenant, "tenant"), check_name(user_id, "user id")
        record = await self._store.get(check_handle(handle))
        if record is None or not is_live(record, self._clock()):
            return False
        if record.tenant != tenant or record.user_id != user_id:
            return False
        deleted = await self._store.delete([handle])
        if deleted and _events.active:
            _events.emit(
                "sessionjar_sessions_revoked", handles=deleted, user_id=user_id, tenant=tenant
            )
        return bool(deleted)
