"""Tests of the driver registry: discovery, isolation of broken plugins, conflicts, openers."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import metadata, version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import sessionjar
from sessionjar import (
    PROTOCOL_VERSION,
    AsyncStore,
    ConfigurationError,
    DriverConflict,
    DriverNotFound,
    Store,
)
from sessionjar._registry import _INSTALL_HINTS, _KNOWN_DRIVERS, Registry
from sessionjar.drivers import check_namespace
from sessionjar.drivers.memory import AsyncMemoryStore, MemoryStore
from sessionjar.drivers.sqlite.store import SqliteStore

if TYPE_CHECKING:
    from fix_registry import PluginSite

BROKEN = "raise ImportError(\"No module named 'redis'\")\n"


def test_builtin_drivers_register_through_the_hook() -> None:
    registry = Registry.discover()
    by_name = {driver.info.name: driver for driver in registry.drivers}
    assert list(by_name)[:2] == ["memory", "sqlite"]
    assert by_name["sqlite"].info.schemes == ("sqlite",)
    assert by_name["memory"].version == version("sessionjar")
    assert registry.plugin_manager.is_registered(sys.modules["sessionjar.drivers.sqlite.plugin"])
    assert registry.failures == []


def test_public_openers_use_the_registry(tmp_path: Path) -> None:
    assert isinstance(sessionjar.open_store("memory://"), MemoryStore)
    assert isinstance(sessionjar.open_async_store("memory://"), AsyncMemoryStore)
    store = sessionjar.open_store(f"sqlite:///{tmp_path}/x.db", namespace="app")
    assert isinstance(store, SqliteStore)
    assert isinstance(store, Store)
    assert isinstance(sessionjar.open_async_store(f"sqlite:///{tmp_path}/x.db"), AsyncStore)
    assert sessionjar.driver_for("SQLite:///x.db").name == "sqlite"
    assert {d.info.name for d in sessionjar.installed_drivers()} >= {"memory", "sqlite"}
    assert sessionjar.plugin_failures() == []


def test_external_plugin_is_found_with_its_version(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-fake", "1.2.3", {"fake": "fake_plugin"},
        {"fake_plugin": plugin_site.driver_module("fake", ("fake", "fake+tls"))},
    )  # fmt: skip
    registry = Registry.discover()
    info = registry.driver_for("fake+tls://somewhere")
    assert info.name == "fake"
    installed = next(d for d in registry.drivers if d.info.name == "fake")
    assert (installed.plugin, installed.version) == ("fake", "1.2.3")
    assert isinstance(registry.open_sync("fake://x", "ns"), MemoryStore)
    assert isinstance(registry.open_async("fake://x", "ns"), AsyncMemoryStore)


def test_broken_plugin_is_recorded_and_raised_only_for_its_scheme(
    plugin_site: PluginSite,
) -> None:
    plugin_site.add_distribution(
        "sessionjar-redis", "0.1.0", {"redis": "broken_redis_plugin"},
        {"broken_redis_plugin": BROKEN},
    )  # fmt: skip
    registry = Registry.discover()
    [failure] = registry.failures
    assert (failure.plugin, failure.target) == ("redis", "broken_redis_plugin")
    assert (failure.distribution, failure.version) == ("sessionjar-redis", "0.1.0")
    assert failure.error == "ImportError: No module named 'redis'"
    assert isinstance(registry.open_sync("memory://", "ns"), MemoryStore)
    for url in ("redis://127.0.0.1", "rediss://h", "unix:///tmp/redis.sock", "redis+cluster://h"):
        with pytest.raises(DriverNotFound) as caught:
            registry.driver_for(url)
        assert caught.value.install_hint == 'pip install "sessionjar[redis]"'
        assert caught.value.cause == "ImportError: No module named 'redis'"
        assert isinstance(caught.value.__cause__, ImportError)
        assert "sessionjar[redis]" in str(caught.value)


def test_failure_is_matched_by_distribution_name(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar_postgres", "2.0", {"pg": "broken_pg_plugin"}, {"broken_pg_plugin": BROKEN}
    )
    registry = Registry.discover()
    with pytest.raises(DriverNotFound) as caught:
        registry.driver_for("postgresql://localhost/db")
    assert caught.value.install_hint == 'pip install "sessionjar[postgres]"'
    assert caught.value.cause is not None
    with pytest.raises(DriverNotFound) as unrelated:
        registry.driver_for("mongodb://localhost")
    assert unrelated.value.cause is None
    assert unrelated.value.install_hint == 'pip install "sessionjar[mongodb]"'


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgres://h/db", 'pip install "sessionjar[postgres]"'),
        ("mongodb+srv://cluster", 'pip install "sessionjar[mongodb]"'),
        ("nosuch://x", None),
    ],
)
def test_missing_driver_carries_install_hint(url: str, hint: str | None) -> None:
    with pytest.raises(DriverNotFound) as caught:
        Registry.discover().driver_for(url)
    assert (caught.value.install_hint, caught.value.cause) == (hint, None)


def test_hook_that_raises_or_returns_nonsense_is_isolated(plugin_site: PluginSite) -> None:
    raising = """
    from sessionjar import hookimpl

    @hookimpl
    def sessionjar_register_drivers():
        raise RuntimeError("boom")
    """
    nonsense = """
    from sessionjar import hookimpl

    @hookimpl
    def sessionjar_register_drivers():
        return ["not a DriverInfo"]
    """
    plugin_site.add_distribution(
        "sessionjar-boom", "1", {"boom": "boom_plugin"}, {"boom_plugin": raising}
    )
    plugin_site.add_distribution("odd-dist", "3", {"odd": "odd_plugin"}, {"odd_plugin": nonsense})
    registry = Registry.discover()
    failures = {failure.plugin: failure for failure in registry.failures}
    assert failures["boom"].error == "RuntimeError: boom"
    assert (failures["boom"].distribution, failures["boom"].version) == ("sessionjar-boom", "1")
    assert failures["odd"].error.startswith("TypeError:")
    assert registry.driver_for("memory://").name == "memory"
    with pytest.raises(DriverNotFound) as caught:
        registry.driver_for("boom://x")
    assert caught.value.cause == "RuntimeError: boom"


def test_invalid_scheme_declaration_is_a_plugin_failure(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-bad", "1", {"bad": "bad_scheme_plugin"},
        {"bad_scheme_plugin": plugin_site.driver_module("bad", ("Bad_Scheme",))},
    )  # fmt: skip
    [failure] = Registry.discover().failures
    assert "invalid URL schemes ['Bad_Scheme']" in failure.error


def test_two_drivers_claiming_one_scheme_conflict(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-one", "1", {"one": "one_plugin"},
        {"one_plugin": plugin_site.driver_module("one", ("dup", "only1"))},
    )  # fmt: skip
    plugin_site.add_distribution(
        "sessionjar-two", "1", {"two": "two_plugin"},
        {"two_plugin": plugin_site.driver_module("two", ("dup", "memory"))},
    )  # fmt: skip
    registry = Registry.discover()
    with pytest.raises(DriverConflict) as caught:
        registry.driver_for("dup://x")
    assert set(caught.value.drivers) == {
        "one (from sessionjar-one)",
        "two (from sessionjar-two)",
    }
    with pytest.raises(DriverConflict) as builtin:
        registry.open_sync("memory://", "ns")
    assert builtin.value.drivers == ("memory (from sessionjar)", "two (from sessionjar-two)")
    assert registry.driver_for("only1://x").name == "one"
    assert set(registry.conflicts()) == {"dup", "memory"}


def test_protocol_version_is_checked_when_a_store_is_opened(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-future", "9", {"future": "future_plugin"},
        {"future_plugin": plugin_site.driver_module("future", ("future",), protocol_version="99")},
    )  # fmt: skip
    registry = Registry.discover()
    assert registry.driver_for("future://x").protocol_version == 99
    for opener in (registry.open_sync, registry.open_async):
        with pytest.raises(
            ConfigurationError, match=rf"'future'.* version 99.*versions 2, 3, {PROTOCOL_VERSION}"
        ):
            opener("future://x", "ns")


def test_protocol_2_drivers_are_still_accepted(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-older", "1", {"older": "older_plugin"},
        {"older_plugin": plugin_site.driver_module("older", ("older",), protocol_version="2")},
    )  # fmt: skip
    registry = Registry.discover()
    assert registry.driver_for("older://x").protocol_version == 2
    assert registry.open_sync("older://x", "ns").protocol_version in {2, PROTOCOL_VERSION}


def test_missing_client_library_at_open_is_driver_not_found(plugin_site: PluginSite) -> None:
    source = plugin_site.driver_module("lazy", ("lazy",)).replace(
        'MemoryStore.from_url("memory://", ns)', '__import__("no_such_client_lib")'
    )
    plugin_site.add_distribution(
        "sessionjar-lazy", "1", {"lazy": "lazy_plugin"}, {"lazy_plugin": source}
    )
    with pytest.raises(DriverNotFound) as caught:
        Registry.discover().open_sync("lazy://x", "ns")
    assert caught.value.install_hint == "pip install sessionjar-lazy"
    assert caught.value.cause == "ModuleNotFoundError: No module named 'no_such_client_lib'"


@pytest.mark.parametrize("namespace", ["", "a b", "x" * 49, "ü", "a.b", "a/b", "a\x00", None, 3])
def test_bad_namespace_is_refused(namespace: object) -> None:
    with pytest.raises(ConfigurationError, match="invalid namespace"):
        sessionjar.open_store("memory://", namespace=namespace)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="invalid namespace"):
        sessionjar.open_async_store("memory://", namespace=namespace)  # type: ignore[arg-type]


@pytest.mark.parametrize("namespace", ["a", "A-b_9", "x" * 48, "sessionjar"])
def test_good_namespace_is_kept(namespace: str) -> None:
    assert check_namespace(namespace) == namespace


@pytest.mark.parametrize("url", ["", "memory", "/var/db.sqlite", "://x", None])
def test_url_without_scheme_is_refused(url: object) -> None:
    with pytest.raises(ConfigurationError, match="scheme"):
        sessionjar.driver_for(url)  # type: ignore[arg-type]


def test_discovery_imports_no_client_library_and_opening_does_no_io(tmp_path: Path) -> None:
    code = (
        "import sys, sessionjar\n"
        "sessionjar.installed_drivers(); sessionjar.open_store('memory://')\n"
        "libs = ('sqlite3', 'redis', 'psycopg', 'pymongo')\n"
        "print(sorted(m for m in libs if m in sys.modules))\n"
        "sessionjar.open_store('sqlite:///never-opened.db')\n"
        "print('sqlite3' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.split("\n")[:2] == ["[]", "True"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "schemes"), sorted(_KNOWN_DRIVERS.items()), ids=sorted(_KNOWN_DRIVERS)
)
def test_every_known_scheme_gets_its_extras_install_hint(
    name: str, schemes: tuple[str, ...]
) -> None:
    assert name in (metadata("sessionjar").get_all("Provides-Extra") or [])
    for scheme in schemes:
        with pytest.raises(DriverNotFound) as caught:
            Registry().driver_for(f"{scheme}://somewhere")
        assert caught.value.install_hint == f'pip install "sessionjar[{name}]"'


@pytest.mark.parametrize("name", sorted(_KNOWN_DRIVERS))
def test_known_schemes_are_the_ones_each_driver_registers(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(__file__).parents[2] / "drivers" / name
    if not folder.is_dir():
        pytest.skip(f"no drivers/{name} folder beside core")
    monkeypatch.syspath_prepend(str(folder))
    plugin = importlib.import_module(f"sessionjar_{name}.plugin")
    [info] = plugin.sessionjar_register_drivers()
    assert info.schemes == _KNOWN_DRIVERS[name]
    assert {_INSTALL_HINTS[scheme] for scheme in info.schemes} == {info.install_hint}
