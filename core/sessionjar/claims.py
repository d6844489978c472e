"""Session claims: facts about a user kept in the access token, and the validators that
check them on every request.

A claim has a key and a ``fetch`` function of the user (``fetch(user_id, tenant)``,
plain or ``async``). Its value lives in the access-token payload under its key, as
``{"v": value, "t": fetched_at_ms}``, so that checking it costs no storage I/O. A
validator tests the value and says when it is too old to trust (``max_age``): then the
manager fetches it again and writes it with one payload merge, which issues a new
access token.

Everything here is a decision without I/O, shared by the async and sync managers; the
fetch and the write are in ``_claim_checks_async.py`` (and its generated sync twin).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, Generic, TypeVar, final

from sessionjar._claims import PROTECTED_CLAIMS
from sessionjar._types import JSONObject, JSONValue
from sessionjar.errors import ConfigurationError

__all__ = [
    "SessionClaim",
    "PrimitiveClaim",
    "BooleanClaim",
    "ListClaim",
    "RolesClaim",
    "PermissionsClaim",
    "ClaimValidator",
    "ClaimFailure",
    "ValidatorsOverride",
    "claims_to_add",
    "claims_to_refetch",
    "failures",
]

T = TypeVar("T")
Item = TypeVar("Item", bound=JSONValue)

FetchValue = Callable[[str, str], T | Awaitable[T | None] | None]
"""Fetches a claim's value for ``(user_id, tenant)``; `None` when the user has none."""
ValidatorsOverride = Callable[[list["ClaimValidator"]], Sequence["ClaimValidator"]]
"""Given the manager's global validators, returns the validators one call uses."""

_VALUE: Final = "v"
_FETCHED_AT: Final = "t"


class SessionClaim(Generic[T]):
    """A fact about a user, kept in the access-token payload under ``key``.

    Subclasses add the validators that fit the value's kind.

    Args:
        key: the payload key (not a protected claim such as ``sub``).
        fetch: returns the value for ``(user_id, tenant)``, or `None`; an ``async``
            function works with the async manager only.

    Raises:
        ConfigurationError: ``key`` is empty or a protected claim.
    """

    __module__ = "sessionjar.claims"

    def __init__(self, key: str, fetch: FetchValue[T]) -> None:
        if not key or key in PROTECTED_CLAIMS:
            raise ConfigurationError(f"a claim key must be a non-empty payload key, not {key!r}")
        self.key = key
        self.fetch = fetch

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r}>"

    def entry(self, value: T | None, now_ms: int) -> JSONObject:
        """Return what the payload keeps under `key` for ``value`` fetched at ``now_ms``
        (ms since the epoch)."""
        return {_VALUE: value, _FETCHED_AT: now_ms}  # type: ignore[dict-item]

    def value_of(self, payload: Mapping[str, Any]) -> T | None:
        """Return the claim's value in an access-token payload, or `None`. Storage I/O: none.

        ``payload`` is what `Session.get_jwt_payload` returns.
        """
        entry = payload.get(self.key)
        return entry.get(_VALUE) if isinstance(entry, dict) else None

    def fetched_at_ms(self, payload: Mapping[str, Any]) -> int | None:
        """Return when the value in ``payload`` was fetched (ms since the epoch), or `None`
        when the payload holds no value of this claim."""
        entry = payload.get(self.key)
        fetched = entry.get(_FETCHED_AT) if isinstance(entry, dict) else None
        return fetched if isinstance(fetched, int) and not isinstance(fetched, bool) else None

    def validator(
        self,
        accepts: Callable[[T], bool],
        expectation: JSONObject,
        max_age: timedelta | None,
    ) -> ClaimValidator:
        """Return a validator of this claim (the kinds' methods are built on it)."""
        return ClaimValidator(
            claim=self, accepts=accepts, expectation=expectation, max_age=max_age
        )


class PrimitiveClaim(SessionClaim[T]):
    """A claim whose value is one JSON value (a string, number, …)."""

    __module__ = "sessionjar.claims"

    def has_value(self, expected: T, *, max_age: timedelta | None = None) -> ClaimValidator:
        """Return a validator that passes when the value equals ``expected``.

        Args:
            expected: the value the route needs.
            max_age: fetch the value again when it is older than this.
        """
        wanted: JSONValue = expected  # type: ignore[assignment]
        return self.validator(
            lambda value: _same(value, expected), {"expected_value": wanted}, max_age
        )


class BooleanClaim(PrimitiveClaim[bool]):
    """A claim whose value is true or false (a verified e-mail, a second factor done …)."""

    __module__ = "sessionjar.claims"

    def is_true(self, *, max_age: timedelta | None = None) -> ClaimValidator:
        """Return a validator that passes when the value is true; see `has_value`."""
        return self.has_value(True, max_age=max_age)

    def is_false(self, *, max_age: timedelta | None = None) -> ClaimValidator:
        """Return a validator that passes when the value is false; see `has_value`."""
        return self.has_value(False, max_age=max_age)


class ListClaim(SessionClaim[list[Item]]):
    """A claim whose value is a list of JSON values (roles, permissions, groups …)."""

    __module__ = "sessionjar.claims"

    def includes(self, item: Item, *, max_age: timedelta | None = None) -> ClaimValidator:
        """Return a validator that passes when the list holds ``item``.

        Args:
            item: the item the route needs.
            max_age: fetch the value again when it is older than this.
        """
        return self.validator(_holds_all([item]), {"expected_to_include": item}, max_age)

    def excludes(self, item: Item, *, max_age: timedelta | None = None) -> ClaimValidator:
        """Return a validator that passes when the list does not hold ``item``; see
        `includes`."""
        return self.validator(_holds_none([item]), {"expected_to_exclude": item}, max_age)

    def includes_all(
        self, items: Collection[Item], *, max_age: timedelta | None = None
    ) -> ClaimValidator:
        """Return a validator that passes when the list holds every one of ``items``;
        see `includes`."""
        wanted = list(items)
        expectation: JSONObject = {"expected_to_include_all": list[JSONValue](wanted)}
        return self.validator(_holds_all(wanted), expectation, max_age)

    def excludes_all(
        self, items: Collection[Item], *, max_age: timedelta | None = None
    ) -> ClaimValidator:
        """Return a validator that passes when the list holds none of ``items``; see
        `includes`."""
        unwanted = list(items)
        expectation: JSONObject = {"expected_to_exclude_all": list[JSONValue](unwanted)}
        return self.validator(_holds_none(unwanted), expectation, max_age)


def _same(value: object, expected: object) -> bool:
    # as JSON compares: true is not 1, 1 is not 1.0
    return type(value) is type(expected) and value == expected


def _holds(value: list[Item], item: Item) -> bool:
    if isinstance(item, str):  # a string equals strings only: the fast test is exact
        return item in value
    return any(_same(held, item) for held in value)


def _holds_all(items: list[Item]) -> Callable[[list[Item]], bool]:
    return lambda value: isinstance(value, list) and all(_holds(value, item) for item in items)


def _holds_none(items: list[Item]) -> Callable[[list[Item]], bool]:
    return lambda value: isinstance(value, list) and not any(_holds(value, i) for i in items)


class RolesClaim(ListClaim[str]):
    """The user's roles, under the payload key ``roles`` by default.

        Roles = RolesClaim(roles_of_user)           # roles_of_user(user_id, tenant)
        manager = AsyncSessionManager(store, claims=[Roles])
        admins = lambda v: [*v, Roles.includes("admin", max_age=timedelta(minutes=5))]
        await manager.get_session(token, override_global_claim_validators=admins)

    Args:
        fetch: returns the list of role names of ``(user_id, tenant)``.
        key: the payload key.
    """

    __module__ = "sessionjar.claims"

    def __init__(self, fetch: FetchValue[list[str]], *, key: str = "roles") -> None:
        super().__init__(key, fetch)


class PermissionsClaim(ListClaim[str]):
    """The user's permissions, under the payload key ``permissions`` by default; as
    `RolesClaim`.

    Args:
        fetch: returns the list of permission names of ``(user_id, tenant)``.
        key: the payload key.
    """

    __module__ = "sessionjar.claims"

    def __init__(self, fetch: FetchValue[list[str]], *, key: str = "permissions") -> None:
        super().__init__(key, fetch)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimValidator:
    """Checks one claim of a session; built by the claims' methods (``includes`` …).

    Build one yourself for a test the kinds lack:
    ``ClaimValidator(claim=Level, accepts=lambda v: v >= 3, expectation={"at_least": 3})``.
    """

    __module__ = "sessionjar.claims"

    claim: SessionClaim[Any]
    """The claim it checks."""
    accepts: Callable[[Any], bool]
    """Tells whether a (present) value passes."""
    expectation: JSONObject
    """What the validator expects, for the failure's reason (``{"expected_value": …}``)."""
    max_age: timedelta | None = None
    """Fetch the value again when it is older than this; `None`: as long as the token has it."""
    _max_age_ms: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_age is not None and self.max_age < timedelta(0):
            raise ConfigurationError(f"max_age must not be negative, not {self.max_age}")
        max_age_ms = float("inf") if self.max_age is None else self.max_age.total_seconds() * 1000
        object.__setattr__(self, "_max_age_ms", max_age_ms)

    def should_refetch(self, payload: Mapping[str, Any], now_ms: int) -> bool:
        """Tell whether the claim's value is missing from ``payload`` or older than
        `max_age` at ``now_ms`` (ms since the epoch)."""
        fetched = self.claim.fetched_at_ms(payload)
        return fetched is None or now_ms - fetched > self._max_age_ms

    def failure(self, payload: Mapping[str, Any]) -> ClaimFailure | None:
        """Return why ``payload`` fails the validator, or `None` when it passes."""
        value = self.claim.value_of(payload)
        if value is None:
            reason: JSONObject = {"message": "value does not exist", **self.expectation}
        elif self.accepts(value):
            return None
        else:
            reason = {"message": "wrong value", **self.expectation, "actual_value": value}
        return ClaimFailure(self.claim.key, reason)


@final
@dataclass(frozen=True, slots=True)
class ClaimFailure:
    """One failed validator: its claim's key and why it failed."""

    __module__ = "sessionjar.claims"

    key: str
    """The key of the failed claim."""
    reason: JSONObject
    """``{"message": "wrong value" | "value does not exist", <expectation>, "actual_value"}``."""

    def to_json(self) -> JSONObject:
        """Return the failure as the web layers' 403 body lists it."""
        return {"key": self.key, "reason": self.reason}


def claims_to_add(
    claims: Iterable[SessionClaim[Any]], validators: Iterable[ClaimValidator]
) -> tuple[SessionClaim[Any], ...]:
    """Return the claims a new session gets: ``claims`` and the claims of ``validators``,
    each once.

    Raises:
        ConfigurationError: two different claims share a key.
    """
    by_key: dict[str, SessionClaim[Any]] = {}
    for claim in [*claims, *(validator.claim for validator in validators)]:
        if by_key.setdefault(claim.key, claim) is not claim:
            raise ConfigurationError(f"two claims share the payload key {claim.key!r}")
    return tuple(by_key.values())


def claims_to_refetch(
    validators: Iterable[ClaimValidator], payload: Mapping[str, Any], now_ms: int
) -> list[SessionClaim[Any]]:
    """Return the claims some validator wants fetched again (missing or too old at
    ``now_ms``, ms since the epoch), each once."""
    due = {v.claim.key: v.claim for v in validators if v.should_refetch(payload, now_ms)}
    return list(due.values())


def failures(
    validators: Iterable[ClaimValidator], payload: Mapping[str, Any]
) -> list[ClaimFailure]:
    """Return the failures of ``validators`` on ``payload``, in the validators' order."""
    found = []
    for validator in validators:
        failure = validator.failure(payload)
        if failure is not None:
            found.append(failure)
    return found
