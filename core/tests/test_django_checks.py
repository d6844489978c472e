"""The Django app's settings, system checks and ``sessionjar_cleanup`` command."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

pytest.importorskip("django", reason="Django is not installed (run `nox -s django`)")

from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from fix_django import Jar, client

from sessionjar import ConfigurationError
from sessionjar.django._runtime import runtime
from sessionjar.testing import ManualClock

MIDDLEWARE = ["sessionjar.django.middleware.SessionMiddleware"]


def check_ids(**setting: object) -> set[str]:
    with override_settings(SESSIONJAR=setting):
        return {message.id for message in run_checks() if message.id}


class TestChecks:
    def test_good_settings_pass(self) -> None:
        assert (
            check_ids(STORE_URL="memory://checks", REFRESH_SECRET="k" * 8 + "0123456789abcdef" * 2)
            == set()
        )

    def test_unknown_key(self) -> None:
        assert "sessionjar.E001" in check_ids(STORE_URL="memory://checks", COOKIE_SECURED=True)

    def test_weak_refresh_secret(self) -> None:
        assert "sessionjar.E002" in check_ids(STORE_URL="memory://checks", REFRESH_SECRET="secret")

    def test_unknown_store_scheme(self) -> None:
        assert "sessionjar.E003" in check_ids(STORE_URL="nosuchdb://localhost")

    def test_missing_middleware(self) -> None:
        with override_settings(MIDDLEWARE=[]):
            assert "sessionjar.E004" in check_ids(STORE_URL="memory://checks")

    def test_insecure_cookies_outside_debug_only(self) -> None:
        assert "sessionjar.W001" in check_ids(STORE_URL="memory://checks", COOKIE_SECURE=False)
        with override_settings(DEBUG=True):
            assert check_ids(STORE_URL="memory://checks", COOKIE_SECURE=False) == set()


class TestSettings:
    def test_options_reach_the_manager_and_the_flow(self, jar: Jar) -> None:
        with jar(ACCESS_TOKEN_VALIDITY=timedelta(minutes=2), COOKIE_SAMESITE="strict"):
            assert runtime().manager.access_token_validity == timedelta(minutes=2)
            flow, aflow = runtime().flows()
            assert flow.config.cookie_samesite == aflow.config.cookie_samesite == "strict"

    def test_a_bad_setting_is_kept_for_requests(self) -> None:
        bad = {"STORE_URL": "memory://x", "COOKIE_SAMESITE": "none", "COOKIE_SECURE": False}
        with override_settings(SESSIONJAR=bad), pytest.raises(ConfigurationError):
            runtime()
        assert "sessionjar.E001" in check_ids(**bad)

    def test_a_store_down_at_start_up_answers_503(self) -> None:
        pytest.importorskip("sessionjar_redis", reason="the Redis driver is not installed")
        with override_settings(SESSIONJAR={"STORE_URL": "redis://127.0.0.1:1/0"}):
            assert not runtime().manager.keys_loaded
            response = client().get("/me", headers={"Authorization": "Bearer x"})
            assert response.status_code == 503
            assert runtime().flows()[0].keys_ready is False

    def test_dotted_paths_are_imported(self) -> None:
        with override_settings(
            SESSIONJAR={"STORE_URL": "memory://x", "CLOCK": "sessionjar._clock.utc_now"}
        ):
            assert runtime().manager.keys_loaded


class TestCleanup:
    def test_deletes_expired_sessions(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            runtime().manager.create_session("alice")
            clock.advance(days=31)
            out = io.StringIO()
            call_command("sessionjar_cleanup", stdout=out)
        assert out.getvalue().startswith("1 expired session(s) deleted in 1 batch(es), ")

    def test_deletes_in_batches(self, jar: Jar, clock: ManualClock) -> None:
        with jar():
            for number in range(5):
                runtime().manager.create_session(f"user-{number}")
            clock.advance(days=31)
            out = io.StringIO()
            call_command("sessionjar_cleanup", "--batch-size", "2", stdout=out)
        # 3 batches on a protocol-4 store, 1 on an older one (it ignores the limit)
        assert out.getvalue().startswith("5 expired session(s) deleted in ")
        assert "\r" not in out.getvalue()  # not a terminal

    def test_a_bad_batch_size_is_a_command_error(self, jar: Jar) -> None:
        with jar(), pytest.raises(CommandError, match="positive integer"):
            call_command("sessionjar_cleanup", "--batch-size", "0", stdout=io.StringIO())

    def test_store_down_is_a_command_error(self, jar: Jar) -> None:
        with jar():
            runtime().manager.close()
            with pytest.raises(CommandError, match="cleanup failed"):
                call_command("sessionjar_cleanup", stdout=io.StringIO())
