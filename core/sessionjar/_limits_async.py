"""Per-user session limits, enforced through the store (async version).

The decisions are in `sessionjar._session_limit`; this module reads the user's sessions
around them and deletes what they rule out. Only the storage protocol is used (a list
of the user's records and deletes by handle), so the limit holds on every driver.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from sessionjar import _events
from sessionjar._rotation import is_live
from sessionjar._session_limit import SessionLimit, beyond_limit
from sessionjar.errors import SessionLimitReached, SessionNotFound, StorageError
from sessionjar.storage import AsyncStore, SessionRecord

__all__ = ["enforce_after_create", "enforce_at_refresh", "enforce_before_create"]

_log: Final = logging.getLogger("sessionjar")


async def enforce_before_create(
    store: AsyncStore, limit: SessionLimit, tenant: str, user_id: str, now: datetime
) -> None:
    """Before creating a session under ``"refuse"``: raise when the user is at the limit
    (so that nothing is written). Storage I/O: one read; none under ``"revoke_oldest"``.

    Raises:
        SessionLimitReached: the user already has ``max_sessions`` live sessions.
    """
    if limit.policy != "refuse":
        return
    records = await store.list_sessions_for_user(tenant, user_id, now=now)
    # the store filters on expiry too, but core has the last word on it
    if len([record for record in records if is_live(record, now)]) >= limit.max_sessions:
        raise SessionLimitReached(user_id, tenant, limit.max_sessions)


async def enforce_after_create(
    store: AsyncStore, limit: SessionLimit, record: SessionRecord, now: datetime
) -> datetime | None:
    """After creating ``record``: delete every session of the user the limit does not keep.

    Under ``"revoke_oldest"`` those are the user's oldest; under ``"refuse"`` the newest,
    and when the new session is among them (or another sign-in already deleted it), the
    sign-in is refused. Whichever racing sign-in reads last sees every insert, so the
    user is at the limit once the last one returns.
    Storage I/O: one read, and one delete when the user is past the limit. When the
    store fails, one delete more: the new session goes, as the caller never gets it.

    Returns:
        `None` when the new session is kept. Under ``"revoke_oldest"``, when it was
        ranked out (created in the same millisecond as others and ranked first by
        handle, or behind a clock ahead of this one): a time just after every session
        seen, at which the session made again ranks newest, as the one signing in now
        should.

    Raises:
        SessionLimitReached: ``"refuse"``, and the new session is not kept.
        StorageError: the store failed; the new session is deleted if it can be.
    """
    try:
        return await _keep_within_limit(store, limit, record, now)
    except StorageError:
        # left stored, a "refuse" session would refuse every retry until it expires
        try:
            await store.delete([record.handle])
        except StorageError:
            _log.warning("new session %s left stored by a failed limit check", record.handle)
        raise


async def _keep_within_limit(
    store: AsyncStore, limit: SessionLimit, record: SessionRecord, now: datetime
) -> datetime | None:
    tenant, user_id, handle = record.tenant, record.user_id, record.handle
    records = await store.list_sessions_for_user(tenant, user_id, now=now)
    excess = beyond_limit(records, limit, now)
    # the new session is no one's to report revoked: the caller never saw it
    await _revoke(store, excess, tenant, user_id, unreported=handle)
    kept = {stored.handle for stored in records}.difference(excess)
    if limit.policy == "refuse" and handle not in kept:
        raise SessionLimitReached(user_id, tenant, limit.max_sessions)
    if handle not in excess:
        return None
    # the ranking stays the same in every process, so that racing sign-ins agree; the
    # new session is made again after every one it saw instead
    seen = [stored.created_at for stored in records if is_live(stored, now)]
    return max(seen) + timedelta(milliseconds=1)


async def enforce_at_refresh(
    store: AsyncStore,
    limit: SessionLimit,
    *,
    handle: str,
    tenant: str,
    user_id: str,
    now: datetime,
) -> None:
    """At a refresh of ``handle``: delete every session of the user the limit does not
    keep, so that two sign-ins at once leave the user past the limit for one refresh
    at most. Storage I/O: one read, and one delete when the user is past the limit.

    A store failure is logged and ignored: the rotation is committed, and a client that
    lost its new tokens would be taken for a thief at its next refresh. The next
    refresh or sign-in enforces the limit again.

    Raises:
        SessionNotFound: the refreshed session itself was past the limit and is revoked.
    """
    try:
        records = await store.list_sessions_for_user(tenant, user_id, now=now)
        excess = beyond_limit(records, limit, now)
        await _revoke(store, excess, tenant, user_id)
    except StorageError:
        _log.warning("session limit of %r not enforced at a refresh", user_id, exc_info=True)
        return
    if handle in excess:
        raise SessionNotFound(handle)


async def _revoke(
    store: AsyncStore, handles: list[str], tenant: str, user_id: str, unreported: str = ""
) -> None:
    if not handles:
        return
    deleted = [handle for handle in await store.delete(handles) if handle != unreported]
    if deleted and _events.active:
        _events.emit(
            "sessionjar_sessions_revoked", handles=deleted, user_id=user_id, tenant=tenant
        )
