"""The suite fails every deliberately broken driver, and names the tests that catch it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest
from broken_drivers import BROKEN_BACKENDS

CAUGHT_BY: Final[dict[str, set[str]]] = {
    "overwriting_create": {
        "test_duplicate_handle_raises",
        "test_duplicate_leaves_the_original_untouched",
    },
    "live_any_user": {
        "test_other_tenant_or_user_is_not_live",
        "test_each_identifier_matches_exactly",
    },
    "live_at_expiry": {
        "test_expiry_boundary",
        "test_refuses_a_session_at_its_expiry",
    },
    "ignores_version": {
        "test_stale_version_changes_nothing",
        "test_one_compare_and_set_wins",
    },
    "ignores_refresh_hash": {
        "test_any_other_hash_changes_nothing",
        "test_a_used_hash_does_not_match_twice",
    },
    "ignores_deadline": {
        "test_expiry_past_the_deadline_changes_nothing",
        "test_refreshing_never_passes_the_deadline",
    },
    "lists_expired": {
        "test_omits_expired_sessions",
        "test_expired_session_is_absent_everywhere",
    },
    "updates_expired": {
        "test_expired_record_is_not_updated",
        "test_record_expiring_exactly_now_is_expired",
    },
    "reports_undeleted": {
        "test_returns_only_the_handles_deleted",
        "test_revoke_by_handle_reports_whether_it_existed",
    },
    "deletes_whole_tenant": {
        "test_leaves_other_users_alone",
        "test_revoke_all_for_a_leaves_b_intact",
    },
    "leaky_namespace": {
        "test_same_handle_in_two_namespaces",
        "test_tokens_of_one_namespace_are_foreign_in_another",
    },
    "upserting_update": {
        "test_deleted_record_is_not_resurrected",
        "test_updates_by_handle_never_resurrect",
    },
    "overwriting_signing_key": {
        "test_taken_kid_is_refused_and_kept",
        "test_parallel_inserts_on_one_store",
    },
    "racy_compare_and_set": {
        "test_one_compare_and_set_wins",
        "test_one_conditional_rotation_wins",
    },
    "swallows_failures": {
        "test_method_raises_storage_unavailable",
        "test_check_database_fails_closed",
    },
}
"""Tests that must fail on each broken backend (others may fail too)."""

_MODULE: Final = """
import pytest

from broken_drivers import open_broken, open_unreachable
from sessionjar_conformance import {aggregate}


class TestBroken({aggregate}):
    capabilities = frozenset({{"shared_namespace", "unreachable"}})

    @pytest.fixture
    def make_store(self):
        return open_broken("{name}", "{flavour}")

    @pytest.fixture
    def unreachable_store(self):
        return open_unreachable("{name}", "{flavour}")
"""
_FAILED: Final = re.compile(r"^FAILED \S+::TestBroken::(test_\w+)", re.MULTILINE)


def run_suite_on(pytester: pytest.Pytester, name: str, flavour: str) -> set[str]:
    """Run the whole suite on a broken backend; return the names of the failed tests."""
    pytester.syspathinsert(Path(__file__).parent)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    aggregate = "AsyncStoreConformance" if flavour == "async" else "StoreConformance"
    pytester.makepyfile(_MODULE.format(name=name, flavour=flavour, aggregate=aggregate))
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rf", "--tb=no")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    return set(_FAILED.findall(result.stdout.str()))


@pytest.mark.parametrize("name", CAUGHT_BY)
def test_suite_fails_broken_driver_async(pytester: pytest.Pytester, name: str) -> None:
    failed = run_suite_on(pytester, name, "async")
    assert CAUGHT_BY[name] <= failed, f"{name}: caught by {sorted(failed)}"


@pytest.mark.parametrize(
    "name",
    [
        "overwriting_create",
        "live_any_user",
        "lists_expired",
        "upserting_update",
        "racy_compare_and_set",
        "swallows_failures",
    ],
)
def test_suite_fails_broken_driver_sync(pytester: pytest.Pytester, name: str) -> None:
    failed = run_suite_on(pytester, name, "sync")
    assert CAUGHT_BY[name] <= failed, f"{name}: caught by {sorted(failed)}"


def test_every_broken_backend_is_checked() -> None:
    assert set(CAUGHT_BY) == set(BROKEN_BACKENDS)
