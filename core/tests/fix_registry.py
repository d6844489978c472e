"""Fixtures that install real driver plugins (dist-info + entry points) on ``sys.path``."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PluginSite", "plugin_site"]


class PluginSite:
    """A directory on ``sys.path`` holding distributions made for one test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def add_distribution(
        self, name: str, version: str, entry_points: dict[str, str], modules: dict[str, str]
    ) -> None:
        """Install distribution ``name`` declaring ``sessionjar.drivers`` entry points.

        Args:
            entry_points: entry point name → target module.
            modules: module name → source (dedented).
        """
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        lines = [f"{ep} = {target}" for ep, target in entry_points.items()]
        (info / "entry_points.txt").write_text("[sessionjar.drivers]\n" + "\n".join(lines) + "\n")
        for module, source in modules.items():
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            self.modules.append(module)
        importlib.invalidate_caches()

    @staticmethod
    def driver_module(
        name: str, schemes: tuple[str, ...], protocol_version: str = "PROTOCOL_VERSION"
    ) -> str:
        """Return the source of a plugin module registering one driver backed by memory://.

        Args:
            protocol_version: the Python expression the driver declares as its version.
        """
        return f"""
        from sessionjar import DriverInfo, hookimpl
        from sessionjar.storage import PROTOCOL_VERSION
        from sessionjar.drivers.memory import AsyncMemoryStore, MemoryStore

        @hookimpl
        def sessionjar_register_drivers():
            return [
                DriverInfo(
                    name={name!r},
                    schemes={schemes!r},
                    open_async=lambda url, ns: AsyncMemoryStore.from_url("memory://", ns),
                    open_sync=lambda url, ns: MemoryStore.from_url("memory://", ns),
                    distribution="sessionjar-{name}",
                    install_hint="pip install sessionjar-{name}",
                    protocol_version={protocol_version},
                )
            ]
        """

    @property
    def pythonpath(self) -> str:
        """The directory, for ``PYTHONPATH`` of a subprocess."""
        return str(self.root)


@pytest.fixture
def plugin_site(tmp_path: Path) -> Iterator[PluginSite]:
    """A fresh plugin directory on ``sys.path``, removed with its modules afterwards."""
    site = PluginSite(tmp_path / "site")
    site.root.mkdir()
    sys.path.insert(0, str(site.root))
    try:
        yield site
    finally:
        sys.path.remove(str(site.root))
        for module in site.modules:
            sys.modules.pop(module, None)
        importlib.invalidate_caches()
