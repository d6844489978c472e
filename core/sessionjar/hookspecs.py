"""The extension points of sessionjar: every hook a plugin can implement.

A driver package implements the driver hook in a module named by an entry point of the
group ``sessionjar.drivers``::

    [project.entry-points."sessionjar.drivers"]
    mystore = "sessionjar_mystore.plugin"

An application implements the session-event hooks on any object and registers it with
`sessionjar.register_hooks`. Both mark their implementations with `sessionjar.hookimpl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sessionjar._registry import DriverInfo

__all__ = [
    "hookspec",
    "hookimpl",
    "sessionjar_register_drivers",
    "sessionjar_session_created",
    "sessionjar_session_refreshed",
    "sessionjar_sessions_revoked",
    "sessionjar_theft_detected",
    "sessionjar_token_rejected",
    "sessionjar_expired_sessions_deleted",
]

hookspec = pluggy.HookspecMarker("sessionjar")
"""Marks a function of this module as a hook specification."""

hookimpl = pluggy.HookimplMarker("sessionjar")
"""Marks a plugin's function as the implementation of a sessionjar hook."""


# -------------------------------------------------------------------------
# Drivers
# -------------------------------------------------------------------------


@hookspec
def sessionjar_register_drivers() -> list[DriverInfo]:  # type: ignore[empty-body]
    """Describe the storage drivers this plugin provides.

    Called once, when the driver registry is first used (on the first
    `sessionjar.open_store` or `sessionjar.open_async_store` call, or by
    ``sessionjar drivers``). Collect-all: every plugin's list is gathered, and the
    registry — not hook order — maps each URL scheme to the one driver that claims it;
    two drivers claiming one scheme raise `DriverConflict` naming both.

    Returns:
        one `DriverInfo` per driver. Describing a driver must not import its
            client library: the factories in `DriverInfo` import it when a store is opened.

    Use in driver packages
    ----------------------

    Implement it in the module the ``sessionjar.drivers`` entry point names, return a
    list of `DriverInfo`, and keep the module's imports light: a plugin that fails to
    import is recorded, and its failure is raised only when one of its schemes is asked
    for. The built-in ``memory://`` and ``sqlite://`` drivers register through this
    same hook.
    """


# -------------------------------------------------------------------------
# Session events
# -------------------------------------------------------------------------
#
# Called by both managers after the event happened, in the request's thread (or event
# loop: keep implementations quick and without blocking I/O). Collect-all; return values
# are ignored. An implementation that raises is logged (logger ``sessionjar.events``) and
# never breaks the request; the other implementations still run. With no implementation
# registered, the managers skip the call entirely.


@hookspec
def sessionjar_session_created(handle: str, user_id: str, tenant: str) -> None:
    """A session was created (after the store holds it).

    Args:
        handle: the new session's handle.
        user_id: its user.
        tenant: its tenant.

    Use in applications
    -------------------

    Implement it on an object marked with `sessionjar.hookimpl` and pass that object to
    `sessionjar.register_hooks`: an audit log of sign-ins, a counter of logins.
    """


@hookspec
def sessionjar_session_refreshed(handle: str, user_id: str, tenant: str) -> None:
    """A refresh token was exchanged for new tokens (a rotation, or a replay within the
    grace window that yielded the same new token).

    Args:
        handle: the session's handle.
        user_id: its user.
        tenant: its tenant.

    Use in applications
    -------------------

    Register with `sessionjar.register_hooks`; e.g. count refreshes per minute.
    """


@hookspec
def sessionjar_sessions_revoked(
    handles: list[str], user_id: str | None, tenant: str | None
) -> None:
    """Sessions were deleted by ``revoke_session`` (one handle),
    ``revoke_all_sessions_for_user`` (every handle of a user), ``revoke_device`` (one
    handle of a user) or a `SessionLimit` (the sessions of a user past the limit, at
    sign-in or refresh). Not called when nothing was deleted, nor for theft (see
    `sessionjar_theft_detected`), expiry, or a sign-in the limit refused.

    Args:
        handles: the handles deleted.
        user_id: the user; `None` for a revoke by handle (the manager does not read
            the record to learn it).
        tenant: the tenant, as ``user_id``.

    Use in applications
    -------------------

    Register with `sessionjar.register_hooks`; e.g. write sign-outs to an audit log.
    """


@hookspec
def sessionjar_theft_detected(handle: str, user_id: str) -> None:
    """A refresh token was reused; the session has been deleted and
    `TokenTheftDetected` is about to be raised.

    Args:
        handle: the revoked session's handle.
        user_id: its user.

    Use in applications
    -------------------

    Register with `sessionjar.register_hooks`; e.g. alert the user or the security team.
    """


@hookspec
def sessionjar_token_rejected(kind: str, reason: str, token_hash: str) -> None:
    """A token was refused; the error is about to be raised to the caller.

    Args:
        kind: ``"access"`` (`get_session`) or ``"refresh"`` (`refresh_session`).
        reason: the class name of the error raised: ``"InvalidTokenError"``,
            ``"TryRefreshToken"`` (an expired access token) or ``"SessionNotFound"``.
        token_hash: a salted hash of the token (16 hex digits) that tells repeats of
            one token apart without revealing it; the salt is random per process.
            The raw token is never passed.

    Use in applications
    -------------------

    Register with `sessionjar.register_hooks`; e.g. count bad tokens per client and
    rate-limit a client that sends many (the web layer knows the client; a hook called
    during its request can read it from a context variable).
    """


@hookspec
def sessionjar_expired_sessions_deleted(count: int) -> None:
    """``delete_expired_sessions`` ran.

    Args:
        count: how many expired sessions it deleted (possibly 0).

    Use in applications
    -------------------

    Register with `sessionjar.register_hooks`; e.g. export the count as a metric.
    """
