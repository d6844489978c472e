"""What the conformance suite cannot know about the jsonfile driver: its URL and its file."""

from __future__ import annotations

from pathlib import Path

import pytest

import sessionjar
from sessionjar import ConfigurationError, StorageUnavailable
from sessionjar_jsonfile import JsonFileStore


def test_the_registry_finds_the_driver(tmp_path: Path) -> None:
    info = sessionjar.driver_for(f"jsonfile://{tmp_path}")
    assert (info.name, info.distribution) == ("jsonfile", "sessionjar-jsonfile")
    store = sessionjar.open_store(f"jsonfile://{tmp_path}", namespace="app")
    assert store.list_signing_keys() == []
    assert (tmp_path / "app.lock").exists()


@pytest.mark.parametrize("url", ["jsonfile://relative/dir", "jsonfile://host/dir", "file:///x"])
def test_url_must_name_an_absolute_directory(url: str) -> None:
    with pytest.raises(ConfigurationError):
        JsonFileStore.from_url(url, "app")


def test_opening_does_no_io(tmp_path: Path) -> None:
    JsonFileStore(tmp_path / "not-yet", "app")
    assert not (tmp_path / "not-yet").exists()


def test_a_corrupt_file_is_storage_unavailable(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text("{not json")
    with pytest.raises(StorageUnavailable):
        JsonFileStore(tmp_path, "app").list_signing_keys()
