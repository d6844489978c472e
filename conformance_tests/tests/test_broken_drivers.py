"""The suite fails every deliberately broken driver, and names the tests that catch it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

import pytest
from broken_drivers import BROKEN_BACKENDS

from sessionjar_conformance import AsyncStoreConformance, StoreConformance

_EXACT_MATCHING: Final = {
    "test_user_ids_match_exactly",
    "test_tenants_match_exactly",
    "test_handles_match_exactly",
    "test_kids_match_exactly",
}
_RACY_UPDATE: Final = {
    "test_one_update_per_version_wins",
    "test_one_rotation_per_refresh_hash_wins",
    "test_no_update_lands_after_expiry",
    "test_no_update_resurrects_a_deleted_record",
}
RACY: Final = ("racy_create", "racy_update", "racy_delete", "racy_signing_key")
"""The check-then-act drivers: each must be caught in every run, on any store."""

RACE_URL_VARIABLE: Final = "SESSIONJAR_RACE_URL"
"""The URL of a networked store (``redis://…``) whose stores the racy drivers wrap."""

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
        "test_one_update_per_version_wins",
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
        "test_writes_stay_in_their_namespace",
        "test_tokens_of_one_namespace_are_foreign_in_another",
    },
    "upserting_update": {
        "test_deleted_record_is_not_resurrected",
        "test_updates_by_handle_never_resurrect",
    },
    "overwriting_signing_key": {
        "test_taken_kid_is_refused_and_kept",
        "test_one_insert_of_a_kid_wins",
    },
    "folds_case": {*_EXACT_MATCHING, "test_namespace_differing_in_case_is_apart"},
    "pads_spaces": _EXACT_MATCHING,
    "trims_spaces": _EXACT_MATCHING,
    "normalises_nfc": _EXACT_MATCHING,
    "normalises_nfkc": _EXACT_MATCHING,
    "reaches_longer_namespaces": {"test_namespace_reaches_only_itself"},
    "replaces_expired_on_create": {"test_expired_record_still_takes_its_handle"},
    "lists_a_page": {"test_lists_hundreds_of_sessions"},
    "deletes_a_page": {"test_deletes_hundreds_of_sessions_expired_or_not"},
    "deletes_user_in_every_tenant": {"test_leaves_the_user_in_other_tenants_alone"},
    "keeps_created_record": {"test_create_copies_the_record"},
    "keeps_patch": {"test_update_copies_the_patch"},
    "get_shares_record": {"test_get_returns_a_copy", "test_returned_record_is_not_shared_state"},
    "update_shares_record": {"test_update_returns_a_copy"},
    "keeps_added_key": {"test_add_signing_key_copies_the_key"},
    "list_shares_keys": {"test_list_signing_keys_returns_copies"},
    "sessions_in_local_time": {
        "test_session_times_come_back_exact_and_utc",
        "test_updated_times_come_back_exact_and_utc",
    },
    "keys_in_local_time": {"test_signing_key_times_come_back_exact_and_utc"},
    "updates_in_whole_seconds": {"test_updated_times_come_back_exact_and_utc"},
    "keys_in_whole_seconds": {"test_signing_key_times_come_back_exact_and_utc"},
    "liveness_in_whole_seconds": {"test_live_one_millisecond_before_expiry"},
    "keys_expire_late": {"test_key_expiring_exactly_now_is_deleted"},
    "hides_future_keys": {"test_key_not_valid_yet_is_kept", "test_added_key_round_trips"},
    "deadline_exclusive": {"test_expiry_up_to_the_deadline_updates"},
    "racy_create": {"test_one_create_of_a_handle_wins"},
    "racy_update": _RACY_UPDATE,
    "racy_delete": {"test_one_delete_reports_the_handle"},
    "racy_signing_key": {"test_one_insert_of_a_kid_wins"},
    "drops_device": {"test_created_device_round_trips", "test_device_json_is_exact"},
    "ignores_device_patch": {
        "test_patch_replaces_the_device_whole",
        "test_patch_can_empty_the_device",
    },
    "device_numbers_as_floats": {"test_device_json_is_exact"},
    "keeps_device": {"test_create_copies_the_device"},
    "shares_device": {"test_returned_devices_are_copies"},
    "lists_sessions_of_every_tenant": {
        "test_lists_records_of_the_user_in_the_tenant_only",
        "test_user_ids_and_tenants_match_exactly",
    },
    "lists_sessions_at_expiry": {"test_record_expiring_exactly_now_is_omitted"},
    "lists_sessions_folding_case": {"test_user_ids_and_tenants_match_exactly"},
    "lists_partial_sessions": {
        "test_lists_every_live_record_as_get_returns_it",
        "test_lists_hundreds_of_records",
    },
    "ignores_limit": {
        "test_deletes_at_most_the_limit",
        "test_repeated_calls_drain_every_expired_record",
    },
    "counts_the_limit": {
        "test_limit_above_the_expired_count_deletes_them_all",
        "test_repeated_calls_drain_every_expired_record",
        "test_each_record_is_counted_once",
    },
    "accepts_bad_limit": {"test_bad_limit_is_refused_and_deletes_nothing"},
    "racy_delete_expired": {"test_each_record_is_counted_once"},
    "swallows_failures": {
        "test_method_raises_storage_unavailable",
        "test_check_database_fails_closed",
    },
}
"""Tests that must fail on each broken backend (others may fail too)."""

_MODULE: Final = """
import pytest

from broken_drivers import open_broken, open_unreachable
{imports}


class TestBroken({bases}):
    capabilities = frozenset({{"shared_namespace", "unreachable"}})

    @pytest.fixture
    def make_store(self):
        return open_broken("{name}", "{flavour}", {url!r})

    @pytest.fixture
    def unreachable_store(self):
        return open_unreachable("{name}", "{flavour}")
"""
_FAILED: Final = re.compile(r"^FAILED \S+::TestBroken::(test_\w+)", re.MULTILINE)


def run_suite_on(
    pytester: pytest.Pytester, name: str, flavour: str, url: str | None = None
) -> set[str]:
    """Run the suite's tests that must catch a broken backend; return those that failed.

    Only those tests run, to keep the self-test short; the whole suite fails whenever
    one of them does. The test class is built from the behaviour classes that define
    them and the fixtures' base class: collecting the whole suite for each broken
    backend would cost seconds apiece.
    """
    pytester.syspathinsert(Path(__file__).parent)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    aggregate = AsyncStoreConformance if flavour == "async" else StoreConformance
    classes = _classes_defining(aggregate, CAUGHT_BY[name])
    module = _MODULE.format(
        name=name,
        flavour=flavour,
        url=url,
        imports="\n".join(f"from {cls.__module__} import {cls.__name__}" for cls in classes),
        bases=", ".join(cls.__name__ for cls in classes),
    )
    pytester.makepyfile(module)
    selected = " or ".join(sorted(CAUGHT_BY[name]))
    args = ("-p", "no:cacheprovider", "-q", "-rf", "--tb=no", "-k", selected)
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    return set(_FAILED.findall(result.stdout.str()))


def _classes_defining(aggregate: type, tests: set[str]) -> list[type]:
    """Return the behaviour classes of ``aggregate`` that define ``tests``, in MRO
    order, then the class that holds the suite's fixtures."""
    behaviours = [
        cls for cls in aggregate.__mro__[1:-2] if any(test in vars(cls) for test in tests)
    ]
    return [*behaviours, aggregate.__mro__[-2]]


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
        "swallows_failures",
        "folds_case",
        "keeps_patch",
        "sessions_in_local_time",
        "drops_device",
        "lists_sessions_of_every_tenant",
        "ignores_limit",
        "racy_delete_expired",
        *RACY,
    ],
)
def test_suite_fails_broken_driver_sync(pytester: pytest.Pytester, name: str) -> None:
    failed = run_suite_on(pytester, name, "sync")
    assert CAUGHT_BY[name] <= failed, f"{name}: caught by {sorted(failed)}"


@pytest.mark.parametrize("flavour", ["async", "sync"])
@pytest.mark.parametrize("name", RACY)
def test_suite_catches_races_over_a_network(
    pytester: pytest.Pytester, name: str, flavour: str
) -> None:
    url = os.environ.get(RACE_URL_VARIABLE)
    if not url:
        pytest.skip(f"{RACE_URL_VARIABLE} names no networked store to race on")
    failed = run_suite_on(pytester, name, flavour, url)
    assert CAUGHT_BY[name] <= failed, f"{name}: caught by {sorted(failed)}"


def test_every_broken_backend_is_checked() -> None:
    assert set(CAUGHT_BY) == set(BROKEN_BACKENDS)
