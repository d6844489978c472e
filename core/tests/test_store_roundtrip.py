"""Property: any JSON-exact record comes back equal from both built-in stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionjar import JSONObject, SessionRecord, Store
from sessionjar.drivers.memory import MemoryBackend, MemoryStore
from sessionjar.drivers.sqlite.store import SqliteStore

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
json_objects: st.SearchStrategy[JSONObject] = st.dictionaries(st.text(), json_values, max_size=5)
instants = st.integers(min_value=0, max_value=10**13).map(
    lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
)


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "memory":
        opened: Store = MemoryStore(MemoryBackend(), "prop")
    else:
        path: Path = tmp_path_factory.mktemp("roundtrip") / "prop.db"
        opened = SqliteStore(str(path), "prop")
    yield opened
    opened.close()


@settings(max_examples=150, deadline=None)
@given(
    handle=st.text(min_size=1, max_size=40),
    user_id=st.text(max_size=20),
    payload=json_objects,
    data=json_objects,
    created=instants,
    deadline=st.none() | instants,
    version=st.integers(min_value=1, max_value=2**62),
)
def test_records_round_trip_exactly(
    store: Store,
    handle: str,
    user_id: str,
    payload: JSONObject,
    data: JSONObject,
    created: datetime,
    deadline: datetime | None,
    version: int,
) -> None:
    record = SessionRecord(
        handle=handle,
        tenant="t",
        user_id=user_id,
        created_at=created,
        expires_at=created + timedelta(hours=1),
        absolute_deadline=deadline,
        access_payload=payload,
        session_data=data,
        refresh_hash="f" * 64,
        prev_refresh_hash=None,
        rotated_at=created,
        version=version,
    )
    store.delete([handle])
    store.create(record)
    assert store.get(handle) == record
    assert store.delete([handle]) == [handle]
