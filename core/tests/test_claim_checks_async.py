"""Claims through the manager: values added at creation, checked by `get_session`, fetched
again only when due (async version)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fix_manager import MakeAsync

from sessionjar import ClaimValidationError, SessionNotFound
from sessionjar.claims import BooleanClaim, ClaimValidator, RolesClaim
from sessionjar.testing import ManualClock

FIVE_MINUTES = timedelta(minutes=5)


class Directory:
    """The app's user directory: roles by user, and every fetch it answered."""

    def __init__(self) -> None:
        self.roles: dict[str, list[str]] = {"alice": ["admin"], "bob": ["viewer"]}
        self.fetched: list[tuple[str, str]] = []

    async def fetch_roles(self, user_id: str, tenant: str) -> list[str] | None:
        self.fetched.append((user_id, tenant))
        return self.roles.get(user_id)


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
def roles(directory: Directory) -> RolesClaim:
    return RolesClaim(directory.fetch_roles)


def is_admin(roles: RolesClaim) -> list[ClaimValidator]:
    return [roles.includes("admin", max_age=FIVE_MINUTES)]


async def test_create_session_fetches_the_claims_into_the_payload(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory, clock: ManualClock
) -> None:
    manager = make_amanager(claims=[roles])
    session = await manager.create_session("alice", tenant="acme", access_payload={"a": 1})
    fetched_ms = int(clock().timestamp() * 1000)
    assert session.get_jwt_payload() == {"a": 1, "roles": {"v": ["admin"], "t": fetched_ms}}
    assert directory.fetched == [("alice", "acme")]
    assert roles.value_of((await manager.get_session(session.access_token)).get_jwt_payload()) == [
        "admin"
    ]


async def test_the_global_validators_claims_are_fetched_at_creation(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory
) -> None:
    manager = make_amanager(claim_validators=is_admin(roles))
    session = await manager.create_session("alice")
    assert roles.value_of(session.get_jwt_payload()) == ["admin"]
    assert len(directory.fetched) == 1


async def test_a_fresh_value_is_checked_with_no_storage_io_and_no_fetch(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls, claim_validators=is_admin(roles))
    created = await manager.create_session("alice")
    calls.clear()
    clock.advance(minutes=5)
    session = await manager.get_session(created.access_token)
    assert session.access_token == created.access_token
    assert calls == []
    assert len(directory.fetched) == 1


async def test_a_failed_validator_raises_with_each_failed_claim(
    make_amanager: MakeAsync, roles: RolesClaim
) -> None:
    verified = BooleanClaim("email_verified", lambda user_id, tenant: False)
    manager = make_amanager(claim_validators=[*is_admin(roles), verified.is_true()])
    created = await manager.create_session("bob")
    with pytest.raises(ClaimValidationError) as raised:
        await manager.get_session(created.access_token)
    assert [(f.key, f.reason["message"]) for f in raised.value.failures] == [
        ("roles", "wrong value"),
        ("email_verified", "wrong value"),
    ]
    assert raised.value.failures[0].reason == {
        "message": "wrong value",
        "expected_to_include": "admin",
        "actual_value": ["viewer"],
    }


async def test_a_stale_value_is_fetched_again_with_one_merge_and_a_new_token(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls, claim_validators=is_admin(roles))
    created = await manager.create_session("alice")
    calls.clear()
    clock.advance(minutes=5, milliseconds=1)
    session = await manager.get_session(created.access_token)
    assert calls == ["get", "update"]
    assert session.access_token != created.access_token
    assert roles.fetched_at_ms(session.get_jwt_payload()) == int(clock().timestamp() * 1000)
    assert len(directory.fetched) == 2
    calls.clear()
    await manager.get_session(session.access_token)  # the new token carries a fresh value
    assert calls == []


async def test_a_revoked_role_is_noticed_once_the_value_is_stale(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory, clock: ManualClock
) -> None:
    manager = make_amanager(claim_validators=is_admin(roles))
    created = await manager.create_session("alice")
    directory.roles["alice"] = []
    await manager.get_session(created.access_token)  # still fresh: still admin
    clock.advance(minutes=6)
    with pytest.raises(ClaimValidationError) as raised:
        await manager.get_session(created.access_token)
    session = raised.value.session
    assert session is not None
    assert session.access_token != created.access_token
    assert roles.value_of(session.get_jwt_payload()) == []


async def test_a_missing_value_is_fetched_and_kept(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory
) -> None:
    plain = make_amanager()
    created = await plain.create_session("alice")  # made before roles were configured
    manager = make_amanager(claim_validators=[roles.includes("admin")])
    await manager.load_keys()
    session = await manager.get_session(created.access_token)
    assert roles.value_of(session.get_jwt_payload()) == ["admin"]
    assert directory.fetched == [("alice", "public")]


async def test_a_user_without_a_value_fails_without_fetching_on_every_request(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory
) -> None:
    manager = make_amanager(claim_validators=[roles.includes("admin")])
    created = await manager.create_session("carol")  # the directory has no roles for her
    for _ in range(2):
        with pytest.raises(ClaimValidationError) as raised:
            await manager.get_session(created.access_token)
        assert raised.value.failures[0].reason["message"] == "value does not exist"
    assert len(directory.fetched) == 1


async def test_override_replaces_or_extends_the_global_validators(
    make_amanager: MakeAsync, roles: RolesClaim
) -> None:
    manager = make_amanager(claims=[roles], claim_validators=is_admin(roles))
    bob = await manager.create_session("bob")
    assert await manager.get_session(
        bob.access_token, override_global_claim_validators=lambda v: []
    )
    alice = await manager.create_session("alice")
    with pytest.raises(ClaimValidationError) as raised:
        await manager.get_session(
            alice.access_token,
            override_global_claim_validators=lambda v: [*v, roles.includes("owner")],
        )
    assert [f.reason.get("expected_to_include") for f in raised.value.failures] == ["owner"]


async def test_no_validators_cost_no_fetch(
    make_amanager: MakeAsync, roles: RolesClaim, directory: Directory, clock: ManualClock
) -> None:
    calls: list[str] = []
    manager = make_amanager(calls=calls)
    created = await manager.create_session("alice")
    calls.clear()
    clock.advance(minutes=10)
    await manager.get_session(created.access_token)
    await manager.get_session(created.access_token, override_global_claim_validators=list)
    assert calls == []
    assert directory.fetched == []


async def test_a_due_value_of_a_revoked_session_is_not_written(
    make_amanager: MakeAsync, roles: RolesClaim, clock: ManualClock
) -> None:
    manager = make_amanager(claim_validators=is_admin(roles))
    created = await manager.create_session("alice")
    await manager.revoke_session(created.handle)
    await manager.get_session(created.access_token)  # fresh: no storage I/O, no check
    clock.advance(minutes=6)
    with pytest.raises(SessionNotFound):
        await manager.get_session(created.access_token)
