"""Fetching claim values and checking a session's claims (async version).

The decisions (which claims are due, which validators fail) are in `sessionjar.claims`;
this module only fetches values and writes them through the session's payload merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sessionjar._acompat import aresolve
from sessionjar._claims import check_payload
from sessionjar._types import JSONObject
from sessionjar.claims import (
    ClaimValidator,
    SessionClaim,
    ValidatorsOverride,
    claims_to_refetch,
    failures,
)
from sessionjar.errors import ClaimValidationError

if TYPE_CHECKING:
    from sessionjar.session_async import AsyncSession

__all__ = ["fetch_claims", "with_claims", "check_claims"]


async def fetch_claims(
    claims: Iterable[SessionClaim[Any]], user_id: str, tenant: str, now_ms: int
) -> JSONObject:
    """Fetch the value of each claim; return the payload entries that keep them, fetched
    at ``now_ms`` (ms since the epoch).

    Raises:
        ConfigurationError: in the sync flavour, a claim's fetch function is ``async``.
    """
    entries: JSONObject = {}
    for claim in claims:
        value = await aresolve(claim.fetch(user_id, tenant), f"the fetch of claim {claim.key!r}")
        entries[claim.key] = claim.entry(value, now_ms)
    return entries


async def with_claims(
    payload: JSONObject,
    claims: Iterable[SessionClaim[Any]],
    user_id: str,
    tenant: str,
    now: datetime,
) -> JSONObject:
    """Return a new session's payload with the values of ``claims`` fetched into it.

    Raises:
        ConfigurationError: the payload with the values is too large, or (sync
            flavour) a fetch function is ``async``.
        SerializationError: a value does not round-trip through JSON.
    """
    fetched = await fetch_claims(claims, user_id, tenant, round(now.timestamp() * 1000))
    return check_payload({**payload, **fetched})


async def check_claims(
    session: AsyncSession,
    validators: Sequence[ClaimValidator],
    override: ValidatorsOverride | None,
    now_ms: int,
) -> None:
    """Check a session's claims at ``now_ms`` (ms since the epoch) with ``validators``,
    or the validators ``override`` returns from them, first fetching again the values
    missing or too old.

    Storage I/O: none when every value is present and fresh; otherwise one payload
    merge (one read and one conditional write), which gives the session a new access
    token carrying the fetched values.

    Raises:
        ClaimValidationError: a validator failed; the error carries the session (with
            its new access token if values were fetched).
        SessionNotFound: a value was due and the session is gone.
    """
    if override is not None:
        validators = override(list(validators))
    due = claims_to_refetch(validators, session._read_payload(), now_ms)
    if due:
        await session.merge_jwt_payload(
            await fetch_claims(due, session.user_id, session.tenant, now_ms)
        )
    failed = failures(validators, session._read_payload())
    if failed:
        raise ClaimValidationError(failed, session)
