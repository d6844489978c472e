"""The decisions of per-user limits and the data-size limit, without a store."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from sessionjar import (
    ConfigurationError,
    JSONObject,
    SessionDataTooLarge,
    SessionLimit,
    SessionLimitReached,
)
from sessionjar._session_limit import UserLimits, beyond_limit, check_data_size
from sessionjar.storage import SessionRecord

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def record(handle: str, created_s: int, *, expired: bool = False) -> SessionRecord:
    created = NOW - timedelta(hours=1) + timedelta(seconds=created_s)
    return SessionRecord(
        handle=handle,
        tenant="public",
        user_id="alice",
        created_at=created,
        expires_at=NOW - timedelta(seconds=1) if expired else NOW + timedelta(days=1),
        absolute_deadline=None,
        access_payload={},
        session_data={},
        refresh_hash="h",
        prev_refresh_hash=None,
        rotated_at=None,
    )


RECORDS = [record("c", 3), record("a", 1), record("b", 2), record("b2", 2)]


def test_revoke_oldest_keeps_the_newest_by_creation_then_handle() -> None:
    assert beyond_limit(RECORDS, SessionLimit(2), NOW) == ["a", "b"]


def test_refuse_keeps_the_oldest_by_creation_then_handle() -> None:
    assert beyond_limit(RECORDS, SessionLimit(2, "refuse"), NOW) == ["b2", "c"]


def test_the_ranking_is_the_same_whatever_order_the_store_returns() -> None:
    limit = SessionLimit(1)
    assert beyond_limit(RECORDS, limit, NOW) == beyond_limit(RECORDS[::-1], limit, NOW)


def test_expired_records_neither_count_nor_are_revoked() -> None:
    records = [record("old", 0, expired=True), record("a", 1), record("b", 2)]
    assert beyond_limit(records, SessionLimit(2), NOW) == []
    assert beyond_limit(records, SessionLimit(1), NOW) == ["a"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_limit_below_one_is_refused(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="max_sessions"):
        SessionLimit(bad)  # type: ignore[arg-type]


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="policy"):
        SessionLimit(2, "revoke_newest")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size", "limit", "flag"),
    [(1, None, False), (None, 3, False), (None, None, "yes"), ("64k", None, False)],
)
def test_bad_manager_limits_are_refused(size: object, limit: object, flag: object) -> None:
    with pytest.raises(ConfigurationError):
        UserLimits.checked(size, limit, flag)


def test_data_size_counts_utf8_bytes_of_the_stored_json() -> None:
    data: JSONObject = {
        "k": "é" * 10
    }  # {"k":"éééééééééé"}: 8 ASCII bytes and 10 two-byte characters
    assert check_data_size(data, 28) is data
    with pytest.raises(SessionDataTooLarge) as caught:
        check_data_size(data, 27)
    assert (caught.value.size, caught.value.limit) == (28, 27)
    assert isinstance(caught.value, ValueError)


def test_no_data_limit_accepts_anything() -> None:
    data: JSONObject = {"k": "x" * 1_000_000}
    assert check_data_size(data, None) is data


def test_the_errors_pickle_with_their_facts() -> None:
    too_large = pickle.loads(pickle.dumps(SessionDataTooLarge(70_000, 65_536)))  # noqa: S301
    assert (too_large.size, too_large.limit) == (70_000, 65_536)
    reached = pickle.loads(pickle.dumps(SessionLimitReached("alice", "public", 3)))  # noqa: S301
    assert (reached.user_id, reached.tenant, reached.limit) == ("alice", "public", 3)
    assert "3 live sessions" in str(reached)
