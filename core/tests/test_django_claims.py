"""Claim validators through the Django layer and DRF: 403 bodies, per-view overrides,
re-fetched values sent as a new access token, no storage I/O when fresh."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import pytest

pytest.importorskip("django", reason="Django is not installed (run `nox -s django`)")
import django_urls_claims
from django.http import HttpResponseBase
from django.test import override_settings
from django_urls_claims import FETCHED, ROLES
from fix_django import AJar, Jar, aclient, client, set_cookies
from fix_web import RecordingStore

from sessionjar import Store
from sessionjar.django._runtime import runtime
from sessionjar.testing import ManualClock

NOT_ADMIN = {
    "message": "wrong value",
    "expected_to_include": "admin",
    "actual_value": ["viewer"],
}
BANNED = {
    "message": "wrong value",
    "expected_to_exclude": "banned",
    "actual_value": ["banned", "admin"],
}
ADMIN_VIEWS = ["/admin", "/admin-view"]


def body(response: Any) -> Any:
    return json.loads(response.content)


def refused(reason: dict[str, Any]) -> dict[str, Any]:
    return {
        "error": "invalid_claim",
        "message": "invalid claim",
        "claim_validation_errors": [{"key": "roles", "reason": reason}],
    }


@pytest.fixture(autouse=True)
def directory() -> None:
    ROLES.clear()
    ROLES.update(alice=["admin"], bob=["viewer"], mallory=["banned", "admin"])
    FETCHED.clear()


@pytest.fixture
def claims_jar(jar: Jar) -> Jar:
    """`jar` on the claims URLconf, with its global validators."""

    @contextlib.contextmanager
    def configured(**options: Any) -> Iterator[None]:
        with (
            override_settings(ROOT_URLCONF="django_urls_claims"),
            jar(CLAIM_VALIDATORS="django_urls_claims.CLAIM_VALIDATORS", **options),
        ):
            yield

    return configured


def recorded() -> RecordingStore:
    """Record the store calls of the sync manager from here on."""
    manager = runtime().manager
    store = RecordingStore(manager._store)
    manager._store = cast(Store, store)
    return store


def signin(c: Any, user: str) -> None:
    response = c.post("/signin", {"user": user}, content_type="application/json")
    assert response.status_code == 200, body(response)


class TestViews:
    @pytest.mark.parametrize("path", ADMIN_VIEWS)
    def test_a_failed_validator_answers_403_naming_the_claim(
        self, claims_jar: Jar, path: str
    ) -> None:
        with claims_jar():
            c = client()
            signin(c, "bob")
            response = c.get(path)
            assert (response.status_code, body(response)) == (403, refused(NOT_ADMIN))
            assert not response.cookies  # tokens kept
            assert body(c.get("/me")) == {"roles": ["viewer"]}

    def test_a_view_checks_its_claims_on_a_session_verified_earlier_in_the_request(
        self, claims_jar: Jar
    ) -> None:
        with claims_jar():
            c = client()
            signin(c, "bob")
            response = c.get("/guarded/admin")
            assert (response.status_code, body(response)) == (403, refused(NOT_ADMIN))
            signin(c, "alice")
            assert body(c.get("/guarded/admin")) == {"admin": True}

    def test_global_validators_run_unless_a_view_overrides_them(self, claims_jar: Jar) -> None:
        with claims_jar():
            c = client()
            signin(c, "mallory")
            response = c.get("/me")
            assert (response.status_code, body(response)) == (403, refused(BANNED))
            for path in ADMIN_VIEWS:
                assert c.get(path).status_code == 403, path
            assert body(c.get("/public")) == {"public": True}

    def test_a_user_every_view_refuses_can_still_sign_out(self, claims_jar: Jar) -> None:
        with claims_jar():
            c = client()
            signin(c, "mallory")
            assert c.get("/me").status_code == 403
            response = c.post("/auth/signout")
            assert response.status_code == 200
            assert {name: cookie["value"] for name, cookie in set_cookies(response).items()} == {
                "sAccessToken": "",
                "sRefreshToken": "",
            }

    def test_a_fresh_value_costs_no_storage_io(self, claims_jar: Jar, clock: ManualClock) -> None:
        with claims_jar():
            c = client()
            signin(c, "alice")
            store = recorded()
            clock.advance(minutes=5)
            for path in ["/me", "/public", *ADMIN_VIEWS]:
                response = c.get(path)
                assert (response.status_code, dict(response.cookies)) == (200, {}), path
            assert store.calls == []
        assert FETCHED == ["alice"]

    @pytest.mark.parametrize("path", ADMIN_VIEWS)
    def test_a_stale_value_is_fetched_again_and_sent_as_a_new_access_token(
        self, claims_jar: Jar, clock: ManualClock, path: str
    ) -> None:
        with claims_jar():
            c = client()
            signin(c, "alice")
            store = recorded()
            clock.advance(minutes=6)
            response = c.get(path)
            assert response.status_code == 200
            assert set(set_cookies(response)) == {"sAccessToken"}
            assert store.calls == ["get", "update"]
            store.calls.clear()
            assert not c.get(path).cookies
            assert store.calls == []
        assert FETCHED == ["alice", "alice"]

    def test_a_value_fetched_on_a_refused_request_still_reaches_the_client(
        self, claims_jar: Jar, clock: ManualClock
    ) -> None:
        with claims_jar():
            c = client()
            signin(c, "alice")
            ROLES["alice"] = ["viewer"]
            clock.advance(minutes=6)
            response = c.get("/admin")
            assert response.status_code == 403
            assert set(set_cookies(response)) == {"sAccessToken"}
            assert c.get("/admin").status_code == 403
        assert FETCHED == ["alice", "alice"]


class TestAsyncViews:
    @pytest.fixture
    def claims_ajar(self, ajar: AJar) -> AJar:
        @contextlib.asynccontextmanager
        async def configured() -> AsyncIterator[None]:
            with override_settings(ROOT_URLCONF="django_urls_claims"):
                async with ajar(CLAIM_VALIDATORS=django_urls_claims.CLAIM_VALIDATORS):
                    yield

        return configured

    async def test_async_views_check_claims_and_refetch(
        self, claims_ajar: AJar, clock: ManualClock
    ) -> None:
        async with claims_ajar():
            c = aclient()
            response: HttpResponseBase = await c.post(
                "/signin", {"user": "bob"}, content_type="application/json"
            )
            assert response.status_code == 200
            response = await c.get("/async/admin")
            assert (response.status_code, body(response)) == (403, refused(NOT_ADMIN))
            ROLES["bob"] = ["admin"]
            clock.advance(minutes=6)
            response = await c.get("/async/admin")
            assert (response.status_code, body(response)) == (200, {"admin": "bob"})
            assert set(set_cookies(response)) == {"sAccessToken"}


class TestRestFramework:
    def test_a_failed_validator_answers_403_with_the_failed_claims(self, claims_jar: Jar) -> None:
        with claims_jar():
            c = client()
            signin(c, "bob")
            assert body(c.get("/api/me")) == {"user": "bob"}
            response = c.get("/api/admin")
            assert response.status_code == 403
            assert body(response) == {
                "detail": "invalid claim",
                "error": "invalid_claim",
                "claim_validation_errors": [{"key": "roles", "reason": NOT_ADMIN}],
            }
            assert not response.cookies

    def test_global_validators_refuse_on_every_api_view(self, claims_jar: Jar) -> None:
        with claims_jar():
            c = client()
            signin(c, "mallory")
            response = c.get("/api/me")
            assert response.status_code == 403
            assert body(response)["claim_validation_errors"][0]["reason"] == BANNED

    def test_a_value_fetched_on_a_refused_request_still_reaches_the_client(
        self, claims_jar: Jar, clock: ManualClock
    ) -> None:
        with claims_jar():
            c = client()
            signin(c, "alice")
            ROLES["alice"] = ["viewer"]
            clock.advance(minutes=6)
            response = c.get("/api/admin")
            assert response.status_code == 403
            assert body(response)["claim_validation_errors"][0]["reason"]["actual_value"] == [
                "viewer"
            ]
            assert set(set_cookies(response)) == {"sAccessToken"}
            assert c.get("/api/admin").status_code == 403
        assert FETCHED == ["alice", "alice"]

    def test_a_stale_value_is_fetched_again_once(
        self, claims_jar: Jar, clock: ManualClock
    ) -> None:
        with claims_jar():
            c = client()
            signin(c, "alice")
            store = recorded()
            assert body(c.get("/api/admin")) == {"admin": "alice"}
            assert store.calls == []
            clock.advance(minutes=6)
            response = c.get("/api/admin")
            assert body(response) == {"admin": "alice"}
            assert set(set_cookies(response)) == {"sAccessToken"}
            assert store.calls == ["get", "update"]
        assert FETCHED == ["alice", "alice"]
