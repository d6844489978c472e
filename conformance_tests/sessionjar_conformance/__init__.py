"""The conformance suite every sessionjar storage driver must pass.

One import gives a driver the whole suite: subclass `AsyncStoreConformance` (or
`StoreConformance`) in a test module and provide the ``make_store`` fixture; see the
README of the ``sessionjar-conformance`` distribution. Each behaviour is one class of a
``test_<area>`` module, gathered in `sessionjar_conformance._suite`.

The names below load on first use: the pytest plugin (``sessionjar_conformance.plugin``)
lives in this package, and pytest imports it in every run of the environment, so that
importing the package must not load the suite, sessionjar or hypothesis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from sessionjar_conformance._suite import AsyncStoreConformance, StoreConformance
    from sessionjar_conformance.capabilities import CAPABILITY_NAMES, Capabilities, requires
    from sessionjar_conformance.fixtures import ConformanceBase, StoreFactory
    from sessionjar_conformance.fixtures_async import AsyncConformanceBase, AsyncStoreFactory
    from sessionjar_conformance.test_network_faults import ProxiedBackend
    from sessionjar_conformance.test_network_faults_async import AsyncProxiedBackend

__all__ = [
    "AsyncStoreConformance",
    "StoreConformance",
    "AsyncConformanceBase",
    "ConformanceBase",
    "AsyncStoreFactory",
    "StoreFactory",
    "AsyncProxiedBackend",
    "ProxiedBackend",
    "Capabilities",
    "CAPABILITY_NAMES",
    "requires",
]

_HOMES: Final = {
    "AsyncStoreConformance": "_suite",
    "StoreConformance": "_suite",
    "AsyncConformanceBase": "fixtures_async",
    "ConformanceBase": "fixtures",
    "AsyncStoreFactory": "fixtures_async",
    "StoreFactory": "fixtures",
    "AsyncProxiedBackend": "test_network_faults_async",
    "ProxiedBackend": "test_network_faults",
    "Capabilities": "capabilities",
    "CAPABILITY_NAMES": "capabilities",
    "requires": "capabilities",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
