"""The claims and their validators: payload entries, each validator, re-fetch timing."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from typing import Any

import pytest
from fix_clock import START

from sessionjar import ClaimValidationError, ConfigurationError, JSONObject, SessionManager
from sessionjar.claims import (
    BooleanClaim,
    ClaimFailure,
    ClaimValidator,
    ListClaim,
    PermissionsClaim,
    PrimitiveClaim,
    RolesClaim,
    claims_to_add,
    claims_to_refetch,
    failures,
)
from sessionjar.testing import ManualClock


def never(user_id: str, tenant: str) -> Any:
    raise AssertionError("validators never fetch")


Plan = PrimitiveClaim[str]("plan", never)
Verified = BooleanClaim("email_verified", never)
Roles = RolesClaim(never)
Perms = PermissionsClaim(never)


def ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def payload_of(*pairs: tuple[Any, Any], now: datetime = START) -> JSONObject:
    """A payload holding each ``(claim, value)`` as fetched at ``now``."""
    payload: JSONObject = {"theme": "dark"}
    for claim, value in pairs:
        payload.update({claim.key: claim.entry(value, ms(now))})
    return payload


def reason(validator: ClaimValidator, payload: JSONObject) -> JSONObject | None:
    failure = validator.failure(payload)
    return None if failure is None else failure.reason


class TestEntries:
    def test_entry_keeps_the_value_and_the_fetch_time_in_milliseconds(self) -> None:
        assert Plan.entry("pro", ms(START)) == {"v": "pro", "t": ms(START)}

    def test_value_and_fetch_time_are_read_back(self) -> None:
        payload = payload_of((Plan, "pro"))
        assert Plan.value_of(payload) == "pro"
        assert Plan.fetched_at_ms(payload) == ms(START)

    @pytest.mark.parametrize("entry", [None, "pro", ["pro"], {"v": "pro"}, {"v": 1, "t": True}])
    def test_a_missing_or_foreign_entry_has_no_fetch_time(self, entry: Any) -> None:
        payload: JSONObject = {} if entry is None else {"plan": entry}
        assert Plan.fetched_at_ms(payload) is None

    @pytest.mark.parametrize("key", ["", "sub", "exp", "sid", "auth_time"])
    def test_a_protected_or_empty_key_is_refused(self, key: str) -> None:
        with pytest.raises(ConfigurationError, match="claim key"):
            PrimitiveClaim(key, never)

    def test_roles_and_permissions_have_their_default_keys(self) -> None:
        assert (Roles.key, Perms.key) == ("roles", "permissions")
        assert RolesClaim(never, key="groups").key == "groups"


class TestPrimitive:
    def test_has_value_passes_on_an_equal_value(self) -> None:
        assert reason(Plan.has_value("pro"), payload_of((Plan, "pro"))) is None

    def test_has_value_fails_on_another_value(self) -> None:
        assert reason(Plan.has_value("pro"), payload_of((Plan, "free"))) == {
            "message": "wrong value",
            "expected_value": "pro",
            "actual_value": "free",
        }

    @pytest.mark.parametrize("payload", [{}, payload_of((Plan, None))])
    def test_has_value_fails_on_a_missing_value(self, payload: JSONObject) -> None:
        assert reason(Plan.has_value("pro"), payload) == {
            "message": "value does not exist",
            "expected_value": "pro",
        }


class TestBoolean:
    def test_is_true(self) -> None:
        assert reason(Verified.is_true(), payload_of((Verified, True))) is None
        assert reason(Verified.is_true(), payload_of((Verified, False))) == {
            "message": "wrong value",
            "expected_value": True,
            "actual_value": False,
        }

    def test_is_false(self) -> None:
        assert reason(Verified.is_false(), payload_of((Verified, False))) is None
        failed = reason(Verified.is_false(), payload_of((Verified, True)))
        assert failed is not None
        assert failed["expected_value"] is False

    def test_a_truthy_value_is_not_true(self) -> None:
        counted = BooleanClaim("flag", never)
        assert reason(counted.is_true(), payload_of((counted, 1))) is not None


class TestList:
    payload = payload_of((Roles, ["editor", "viewer"]))

    def test_includes(self) -> None:
        assert reason(Roles.includes("editor"), self.payload) is None
        assert reason(Roles.includes("admin"), self.payload) == {
            "message": "wrong value",
            "expected_to_include": "admin",
            "actual_value": ["editor", "viewer"],
        }

    def test_excludes(self) -> None:
        assert reason(Roles.excludes("admin"), self.payload) is None
        assert reason(Roles.excludes("viewer"), self.payload) == {
            "message": "wrong value",
            "expected_to_exclude": "viewer",
            "actual_value": ["editor", "viewer"],
        }

    def test_includes_all(self) -> None:
        assert reason(Roles.includes_all(["editor", "viewer"]), self.payload) is None
        failed = reason(Roles.includes_all(["editor", "admin"]), self.payload)
        assert failed is not None
        assert failed["expected_to_include_all"] == ["editor", "admin"]

    def test_excludes_all(self) -> None:
        assert reason(Roles.excludes_all(["admin", "owner"]), self.payload) is None
        failed = reason(Roles.excludes_all(["admin", "viewer"]), self.payload)
        assert failed is not None
        assert failed["expected_to_exclude_all"] == ["admin", "viewer"]

    def test_an_empty_list_is_a_value(self) -> None:
        empty = payload_of((Roles, []))
        assert reason(Roles.excludes("admin"), empty) is None
        assert reason(Roles.includes("admin"), empty) == {
            "message": "wrong value",
            "expected_to_include": "admin",
            "actual_value": [],
        }

    def test_a_value_that_is_not_a_list_fails(self) -> None:
        assert reason(Roles.excludes("admin"), payload_of((Roles, "admin"))) is not None

    def test_a_missing_list_fails_every_validator(self) -> None:
        for validator in (Roles.includes("a"), Roles.excludes("a"), Roles.excludes_all(["a"])):
            failed = reason(validator, {})
            assert failed is not None
            assert failed["message"] == "value does not exist"

    def test_items_of_other_json_kinds(self) -> None:
        levels = ListClaim[int]("levels", never)
        assert reason(levels.includes(3), payload_of((levels, [1, 3]))) is None

    def test_items_compare_as_json_does(self) -> None:
        flags = ListClaim[Any]("flags", never)
        assert reason(flags.includes(1), payload_of((flags, [True, 1.0]))) is not None
        assert reason(flags.excludes(1), payload_of((flags, [True]))) is None


class TestCustomValidator:
    def test_a_validator_built_by_hand(self) -> None:
        level = PrimitiveClaim[int]("level", never)
        at_least_3 = ClaimValidator(claim=level, accepts=lambda v: v >= 3, expectation={"min": 3})
        assert reason(at_least_3, payload_of((level, 4))) is None
        assert reason(at_least_3, payload_of((level, 2))) == {
            "message": "wrong value",
            "min": 3,
            "actual_value": 2,
        }

    def test_a_negative_max_age_is_refused(self) -> None:
        with pytest.raises(ConfigurationError, match="max_age"):
            Plan.has_value("pro", max_age=timedelta(seconds=-1))


class TestRefetchTiming:
    def test_without_max_age_a_present_value_is_never_fetched_again(
        self, clock: ManualClock
    ) -> None:
        payload = payload_of((Roles, ["admin"]), now=clock())
        clock.advance(days=365)
        assert claims_to_refetch([Roles.includes("admin")], payload, ms(clock())) == []

    def test_a_value_is_fetched_again_once_older_than_max_age(self, clock: ManualClock) -> None:
        payload = payload_of((Roles, ["admin"]), now=clock())
        validators = [Roles.includes("admin", max_age=timedelta(minutes=5))]
        clock.advance(minutes=5)
        assert claims_to_refetch(validators, payload, ms(clock())) == []
        clock.advance(milliseconds=1)
        assert claims_to_refetch(validators, payload, ms(clock())) == [Roles]

    def test_a_missing_value_is_fetched(self, clock: ManualClock) -> None:
        assert claims_to_refetch([Verified.is_true()], {}, ms(clock())) == [Verified]

    def test_a_claim_is_fetched_once_for_many_validators(self, clock: ManualClock) -> None:
        payload = payload_of((Roles, ["a"]), now=clock())
        clock.advance(minutes=2)
        validators = [
            Roles.includes("a", max_age=timedelta(minutes=1)),
            Roles.excludes("b", max_age=timedelta(minutes=1)),
            Verified.is_true(),
        ]
        assert claims_to_refetch(validators, payload, ms(clock())) == [Roles, Verified]

    def test_the_strictest_max_age_wins(self, clock: ManualClock) -> None:
        payload = payload_of((Roles, ["a"]), now=clock())
        clock.advance(minutes=2)
        loose = Roles.includes("a", max_age=timedelta(hours=1))
        strict = Roles.includes("a", max_age=timedelta(minutes=1))
        assert claims_to_refetch([loose], payload, ms(clock())) == []
        assert claims_to_refetch([loose, strict], payload, ms(clock())) == [Roles]

    def test_max_age_zero_fetches_on_every_later_millisecond(self, clock: ManualClock) -> None:
        payload = payload_of((Roles, ["a"]), now=clock())
        validators = [Roles.includes("a", max_age=timedelta(0))]
        assert claims_to_refetch(validators, payload, ms(clock())) == []
        clock.advance(milliseconds=1)
        assert claims_to_refetch(validators, payload, ms(clock())) == [Roles]


class TestFailuresAndSetup:
    def test_failures_keep_the_validators_order(self) -> None:
        payload = payload_of((Roles, ["viewer"]), (Verified, False))
        found = failures(
            [Verified.is_true(), Roles.includes("viewer"), Roles.includes("a")], payload
        )
        assert [f.key for f in found] == ["email_verified", "roles"]
        assert found[0].to_json() == {"key": "email_verified", "reason": found[0].reason}

    def test_claims_to_add_joins_claims_and_the_validators_claims_once(self) -> None:
        added = claims_to_add([Roles, Plan], [Roles.includes("a"), Verified.is_true()])
        assert added == (Roles, Plan, Verified)

    def test_two_claims_on_one_key_are_refused(self) -> None:
        with pytest.raises(ConfigurationError, match="'roles'"):
            claims_to_add([Roles], [RolesClaim(never).includes("a")])

    def test_the_error_names_the_failed_claims_and_pickles(self) -> None:
        failed = [ClaimFailure("roles", {"message": "wrong value"})]
        error = ClaimValidationError(failed)
        assert "roles" in str(error)
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
        assert copy.failures == failed
        assert copy.session is None


async def fetch_roles(user_id: str, tenant: str) -> list[str]:
    return ["admin"]


def test_the_sync_manager_refuses_an_async_fetch(manager: SessionManager) -> None:
    with_claims = SessionManager(manager._store, claims=[RolesClaim(fetch_roles)])
    with pytest.raises(ConfigurationError, match="'roles' is an async function"):
        with_claims.create_session("alice")
