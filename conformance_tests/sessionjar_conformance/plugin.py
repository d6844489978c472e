"""The pytest plugin of the suite: ``--sessionjar-url`` and the closing summary.

Installed through the ``pytest11`` entry point, it only adds the option: a run without
``--sessionjar-url`` that collects no conformance test is left exactly as it was.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from sessionjar import AsyncStore, DriverInfo, Store  # noqa: F401  (string annotations)

__all__ = ["DRIVER_KEY", "URL_KEY", "EXTRA_CAPABILITIES_KEY", "AsyncStoreOpener", "StoreOpener"]

DRIVER_KEY: Final = pytest.StashKey["DriverInfo"]()
"""Where the plugin keeps the `DriverInfo` of ``--sessionjar-url``."""
URL_KEY: Final = pytest.StashKey[str]()
"""Where the plugin keeps the ``--sessionjar-url`` value."""
EXTRA_CAPABILITIES_KEY: Final = pytest.StashKey[frozenset[str]]()
"""Where the plugin keeps the ``--sessionjar-capability`` names."""
# a conformance test's reports carry this user property: under pytest-xdist the reports
# reach the controlling process, which collected nothing itself
_CONFORMANCE: Final = ("sessionjar_conformance", True)
_CAPABILITY_SKIP: Final = "driver lacks capability '"


@dataclass(frozen=True)
class AsyncStoreOpener:
    """``make_store(namespace)`` of the async suite, through the registry; picklable."""

    url: str

    def __call__(self, namespace: str) -> AsyncStore:
        """Open a new async store of ``url`` on ``namespace``; no I/O."""
        from sessionjar import open_async_store

        return open_async_store(self.url, namespace=namespace)


@dataclass(frozen=True)
class StoreOpener:
    """``make_store(namespace)`` of the sync suite, through the registry; picklable."""

    url: str

    def __call__(self, namespace: str) -> Store:
        """Open a new sync store of ``url`` on ``namespace``; no I/O."""
        from sessionjar import open_store

        return open_store(self.url, namespace=namespace)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sessionjar", "sessionjar conformance suite")
    group.addoption(
        "--sessionjar-url",
        metavar="URL",
        default=None,
        help="run the sessionjar conformance suite against the driver of this store URL "
        "(with `pytest --pyargs sessionjar_conformance`)",
    )
    group.addoption(
        "--sessionjar-capability",
        metavar="NAME",
        action="append",
        default=[],
        help="declare a capability the URL has beyond its driver's DriverInfo "
        "(e.g. shared_namespace for memory://NAME); repeatable",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    url = config.getoption("sessionjar_url")
    if url is None:
        return
    from sessionjar import ConfigurationError, driver_for
    from sessionjar.drivers import mask_credentials

    if not config.getini("asyncio_default_fixture_loop_scope"):
        # Every async fixture of the suite is function-scoped, so pytest-asyncio's
        # default (the fixture's own scope) is what it needs: no warning to tell it.
        warnings.filterwarnings(
            "ignore", 'The configuration option "asyncio_default_fixture_loop_scope" is unset'
        )

    try:
        config.stash[DRIVER_KEY] = driver_for(url)
    except ConfigurationError as exc:
        raise pytest.UsageError(f"--sessionjar-url {mask_credentials(url)}: {exc}") from exc
    config.stash[URL_KEY] = url
    config.stash[EXTRA_CAPABILITIES_KEY] = frozenset(config.getoption("sessionjar_capability"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if getattr(getattr(item, "cls", None), "sessionjar_conformance", False):
            item.user_properties.append(_CONFORMANCE)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    counts: Counter[str] = Counter()
    by_capability: Counter[str] = Counter()
    for outcome, reports in terminalreporter.stats.items():
        for report in reports:
            if _CONFORMANCE not in getattr(report, "user_properties", ()) or not _counts(report):
                continue
            counts[outcome] += 1
            if outcome == "skipped" and (name := _capability_of(report)):
                by_capability[name] += 1
    if counts:
        _write_summary(terminalreporter, config, counts, by_capability)


def _counts(report: object) -> bool:
    # One line per test: its call report, or the setup report of a test that never ran.
    when = getattr(report, "when", None)
    return when == "call" or (when == "setup" and not getattr(report, "passed", False))


def _capability_of(report: object) -> str | None:
    longrepr = getattr(report, "longrepr", None)
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    _, found, rest = reason.partition(_CAPABILITY_SKIP)
    return rest.partition("'")[0] if found else None


def _write_summary(
    tr: pytest.TerminalReporter,
    config: pytest.Config,
    counts: Counter[str],
    by_capability: Counter[str],
) -> None:
    url = config.stash.get(URL_KEY, None)
    if url:
        from sessionjar.drivers import mask_credentials

        url = mask_credentials(url)
    tr.write_sep("=", f"sessionjar conformance{f': {url}' if url else ''}")
    skipped_by_capability = sum(by_capability.values())
    tr.write_line(f"passed: {counts['passed']}")
    tr.write_line(f"failed: {counts['failed'] + counts['error']}")
    details = ", ".join(f"{name} {n}" for name, n in sorted(by_capability.items()))
    tr.write_line(
        f"skipped by capability: {skipped_by_capability}" + (f" ({details})" if details else "")
    )
    if other := counts["skipped"] - skipped_by_capability:
        tr.write_line(f"skipped otherwise: {other}")
    tr.write_line(f"expected failures: {counts['xfailed']}")
    if counts["xpassed"]:
        tr.write_line(f"unexpected passes: {counts['xpassed']}")
