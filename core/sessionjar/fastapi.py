"""Sessions for FastAPI apps: the Starlette middleware plus a route dependency (async API).

    app = FastAPI()
    app.add_middleware(SessionMiddleware, manager=manager)

    @app.get("/me")
    async def me(session: AsyncSession = Depends(verify_session())):
        return {"user": session.get_user_id()}

FastAPI itself is not imported: the dependency is a plain callable of a Starlette request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal, overload

from starlette.requests import Request

from sessionjar.starlette import (
    AntiCsrfCheckFailed,
    ErrorReply,
    SessionMiddleware,
    SessionRequired,
    TheftHook,
    WebOptions,
    _context,
    create_new_session,
    default_error_reply,
    get_session,
    handle_error,
    revoke_session,
)

if TYPE_CHECKING:
    from sessionjar.claims import ValidatorsOverride
    from sessionjar.session_async import AsyncSession

__all__ = [
    "verify_session",
    "SessionMiddleware",
    "get_session",
    "create_new_session",
    "revoke_session",
    "handle_error",
    "TheftHook",
    "WebOptions",
    "ErrorReply",
    "default_error_reply",
    "SessionRequired",
    "AntiCsrfCheckFailed",
]


@overload
def verify_session(
    *,
    session_required: Literal[True] = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Callable[[Request], Awaitable[AsyncSession]]: ...
@overload
def verify_session(
    *,
    session_required: bool,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Callable[[Request], Awaitable[AsyncSession | None]]: ...
def verify_session(
    *,
    session_required: bool = True,
    check_database: bool = False,
    override_global_claim_validators: ValidatorsOverride | None = None,
) -> Callable[[Request], Awaitable[AsyncSession | None]]:
    """Return a dependency that yields the request's session (``Depends(verify_session())``).

    Storage I/O: none, or one read with ``check_database``. Errors propagate to
    `SessionMiddleware`, which answers them (401 to refresh or to log in again, 403 on a
    failed anti-CSRF check or failed claim validators, 503 when the store is down).

    Args:
        session_required: with `False`, a request without a token yields `None`.
        check_database: also check that the session still exists in the store.
        override_global_claim_validators: maps the manager's claim validators to
            those this route runs (see `sessionjar.claims`).
    """

    async def session_dependency(request: Request) -> AsyncSession | None:
        # what get_session does, without its coroutine: this runs on every request
        return await _context(request).web.get_session(
            required=session_required,
            check_database=check_database,
            override_global_claim_validators=override_global_claim_validators,
        )

    return session_dependency
