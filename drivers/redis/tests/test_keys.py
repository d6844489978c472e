"""The key layout: hash tags, buckets and owner digests (no server needed)."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from sessionjar import InvalidHandle, SerializationError
from sessionjar_redis._keys import KeyLayout, check_handle, owner_tag


def test_standalone_layout_has_one_bucket_tagged_by_the_namespace() -> None:
    layout = KeyLayout("app", 1)
    assert layout.prefixes == ("{app}:",)
    assert layout.record("h1") == "{app}:s:h1"
    assert KeyLayout.index("{app}:", "abc") == "{app}:u:abc"
    assert layout.signing_keys == "{app}:keys"
    assert layout.record_pattern == "{app}:s:*"


def test_cluster_buckets_fall_into_evenly_spaced_slot_ranges() -> None:
    layout = KeyLayout("app", 16)
    slots = [key_slot(prefix.encode()) for prefix in layout.prefixes]
    assert [slot * 16 // 16384 for slot in slots] == list(range(16))
    assert KeyLayout("app", 16).prefixes == layout.prefixes, "the layout is deterministic"
    assert KeyLayout("other", 16).prefixes != layout.prefixes


def test_a_record_shares_its_slot_with_its_owners_index() -> None:
    layout = KeyLayout("app", 16)
    for handle in ("a", "b}{c", "{x}", "s:u:*"):
        prefix = layout.prefix(handle)
        index = KeyLayout.index(prefix, owner_tag("t", "u"))
        assert key_slot(layout.record(handle).encode()) == key_slot(index.encode())
        assert KeyLayout.split_record(layout.record(handle)) == (prefix, handle)


def test_handles_spread_over_every_bucket() -> None:
    layout = KeyLayout("app", 16)
    assert {layout.prefix(f"handle-{n}") for n in range(500)} == set(layout.prefixes)


def test_owner_tags_are_digests_that_keep_tenant_and_user_apart() -> None:
    tag = owner_tag("a:b", "c")
    assert len(tag) == 32
    assert int(tag, 16) >= 0
    assert tag != owner_tag("a", "b:c")
    assert tag == owner_tag("a:b", "c")


def test_owner_and_handle_must_be_text() -> None:
    with pytest.raises(SerializationError):
        owner_tag("t", 1)  # type: ignore[arg-type]
    with pytest.raises(SerializationError):
        owner_tag("t", "\ud800")
    with pytest.raises(InvalidHandle):
        check_handle(b"h")
    with pytest.raises(InvalidHandle):
        check_handle("\udfff")
    assert check_handle("h") == "h"
