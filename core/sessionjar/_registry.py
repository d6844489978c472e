"""Driver descriptions and the registry that maps a store URL to its driver."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, version
from types import ModuleType
from typing import TYPE_CHECKING, Final, TypeVar
from urllib.parse import urlsplit

import pluggy

from sessionjar import hookspecs
from sessionjar.drivers._checks import check_namespace
from sessionjar.errors import ConfigurationError, DriverConflict, DriverNotFound
from sessionjar.storage import SUPPORTED_PROTOCOL_VERSIONS

if TYPE_CHECKING:
    from sessionjar.storage import AsyncStore, Store

__all__ = [
    "DriverInfo",
    "InstalledDriver",
    "PluginFailure",
    "ENTRY_POINT_GROUP",
    "Registry",
    "default_registry",
    "open_store",
    "open_async_store",
    "driver_for",
    "installed_drivers",
    "plugin_failures",
]

ENTRY_POINT_GROUP: Final = "sessionjar.drivers"
"""The entry-point group external driver plugins register under."""

# The drivers core ships as extras, by plugin name (= extra = distribution suffix): the
# one table the install hints and the broken-plugin lookup below are derived from.
_KNOWN_DRIVERS: Final = {
    "redis": ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"),
    "postgres": ("postgresql", "postgres"),
    "mongodb": ("mongodb", "mongodb+srv"),
}
# The plugin name whose failure explains a scheme, and the command that installs it.
_PLUGIN_NAMES: Final = {
    scheme: name for name, schemes in _KNOWN_DRIVERS.items() for scheme in schemes
}
_INSTALL_HINTS: Final = {
    scheme: f'pip install "sessionjar[{name}]"' for scheme, name in _PLUGIN_NAMES.items()
}
_SCHEME_RE: Final = re.compile(r"[a-z][a-z0-9+.-]*")
_BUILTIN_PLUGINS: Final = ("sessionjar.drivers.memory.plugin", "sessionjar.drivers.sqlite.plugin")


@dataclass(frozen=True, kw_only=True)
class DriverInfo:
    """What a driver plugin tells the registry about one driver.

    The factories take the store URL and the namespace, import the driver's client
    library, and return a store without doing any I/O (stores connect on first use).
    """

    __module__ = "sessionjar"

    name: str
    """Short name of the driver, e.g. ``"redis"``."""
    schemes: tuple[str, ...]
    """URL schemes the driver handles, e.g. ``("redis", "rediss", "unix")``."""
    open_async: Callable[[str, str], AsyncStore]
    """``open_async(url, namespace)`` → a new `AsyncStore`."""
    open_sync: Callable[[str, str], Store]
    """``open_sync(url, namespace)`` → a new `Store`."""
    distribution: str
    """The distribution that ships the driver, e.g. ``"sessionjar-redis"``."""
    install_hint: str
    """The command that installs the driver, e.g. ``pip install "sessionjar[redis]"``."""
    protocol_version: int
    """The storage `PROTOCOL_VERSION` the driver implements."""
    capabilities: frozenset[str] = field(default_factory=frozenset)
    """Named capabilities the conformance suite checks for (see its docs)."""
    unreachable_url: str | None = None
    """A URL of this driver where nothing listens, for the suite's failure tests."""


@dataclass(frozen=True, kw_only=True)
class InstalledDriver:
    """A driver the registry found, with the plugin and distribution that provide it."""

    __module__ = "sessionjar"

    info: DriverInfo
    """The driver's own description."""
    plugin: str
    """Name of the plugin that registered it (its entry point name, or the built-in name)."""
    version: str | None
    """Installed version of ``info.distribution``, or `None` if it has no metadata."""


@dataclass(frozen=True, kw_only=True)
class PluginFailure:
    """A driver plugin that could not be loaded; raised only when its scheme is asked for."""

    __module__ = "sessionjar"

    plugin: str
    """The entry point's name (or the built-in plugin's module name)."""
    target: str
    """What the entry point points at, e.g. ``"sessionjar_redis.plugin"``."""
    distribution: str | None
    """The distribution that declares the entry point, if known."""
    version: str | None
    """That distribution's version, if known."""
    error: str
    """The failure, as ``"ExceptionType: message"``."""
    exception: BaseException | None = field(default=None, compare=False, repr=False)
    """The exception itself, chained to the `DriverNotFound` that reports it."""


class Registry:
    """The drivers of every plugin, by URL scheme.

    Built once by `discover`; the registry, not hook order, decides which driver a
    scheme goes to. Conflicts and plugin failures are recorded, not raised, so that one
    broken plugin never breaks the others: they surface when their scheme is requested.
    """

    def __init__(self) -> None:
        self.plugin_manager = pluggy.PluginManager("sessionjar")
        self.plugin_manager.add_hookspecs(hookspecs)
        self.drivers: list[InstalledDriver] = []
        self.failures: list[PluginFailure] = []
        self._by_scheme: dict[str, InstalledDriver] = {}
        self._conflicts: dict[str, tuple[InstalledDriver, InstalledDriver]] = {}

    @classmethod
    def discover(cls) -> Registry:
        """Load the built-in plugins and every ``sessionjar.drivers`` entry point."""
        registry = cls()
        for module_name in _BUILTIN_PLUGINS:
            registry._register_builtin(module_name)
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            registry._register_entry_point(entry_point)
        registry._collect()
        return registry

    def driver_for(self, url: str) -> DriverInfo:
        """Return the driver of a URL's scheme.

        Raises:
            ConfigurationError: the URL has no scheme.
            DriverConflict: two drivers claim the scheme.
            DriverNotFound: no driver claims it; carries the install hint and the
                load failure of the plugin that was probably meant to provide it.
        """
        scheme = scheme_of(url)
        if scheme in self._conflicts:
            first, second = self._conflicts[scheme]
            raise DriverConflict(scheme, _describe(first), _describe(second))
        if scheme in self._by_scheme:
            return self._by_scheme[scheme].info
        failure = self._failure_for(scheme)
        raise DriverNotFound(
            scheme, _INSTALL_HINTS.get(scheme), failure.error if failure else None
        ) from (failure.exception if failure else None)

    def open_sync(self, url: str, namespace: str) -> Store:
        """Open a sync store; see `sessionjar.open_store`."""
        check_namespace(namespace)
        info = self._usable(url)
        try:
            store = info.open_sync(url, namespace)
        except ImportError as exc:
            raise _missing_client(info, url, exc) from exc
        return _checked_store(info, store)

    def open_async(self, url: str, namespace: str) -> AsyncStore:
        """Open an async store; see `sessionjar.open_async_store`."""
        check_namespace(namespace)
        info = self._usable(url)
        try:
            store = info.open_async(url, namespace)
        except ImportError as exc:
            raise _missing_client(info, url, exc) from exc
        return _checked_store(info, store)

    def _usable(self, url: str) -> DriverInfo:
        info = self.driver_for(url)
        if info.protocol_version not in SUPPORTED_PROTOCOL_VERSIONS:
            raise ConfigurationError(
                f"driver {info.name!r} (from {info.distribution}) implements storage "
                f"protocol version {info.protocol_version}, but this sessionjar speaks "
                f"versions {_versions()}; install matching versions"
            )
        return info

    def conflicts(self) -> dict[str, tuple[InstalledDriver, InstalledDriver]]:
        """Return the schemes claimed by two drivers, with the first two claimants."""
        return dict(self._conflicts)

    def _register_builtin(self, module_name: str) -> None:
        self.plugin_manager.register(import_module(module_name), name=module_name)

    def _register_entry_point(self, entry_point: EntryPoint) -> None:
        dist = entry_point.dist
        try:
            plugin = entry_point.load()
            self.plugin_manager.register(plugin, name=entry_point.name)
        except Exception as exc:  # whatever a third-party plugin raises, the others still load
            self.failures.append(
                PluginFailure(
                    plugin=entry_point.name,
                    target=entry_point.value,
                    distribution=dist.metadata["Name"] if dist else None,
                    version=dist.version if dist else None,
                    error=f"{type(exc).__name__}: {exc}",
                    exception=exc,
                )
            )

    def _collect(self) -> None:
        # Each implementation is called on its own so that one that raises or returns
        # nonsense is recorded as that plugin's failure instead of failing every driver.
        caller = self.plugin_manager.hook.sessionjar_register_drivers
        for impl in caller.get_hookimpls():
            try:
                infos = _checked(impl.function())
            except Exception as exc:
                self._record_call_failure(impl.plugin_name, impl.plugin, exc)
                continue
            for info in infos:
                self._add(info, impl.plugin_name)

    def _record_call_failure(self, name: str, plugin: object, exc: Exception) -> None:
        module = plugin.__name__ if isinstance(plugin, ModuleType) else type(plugin).__name__
        dist = _distribution_of(name)
        self.failures.append(
            PluginFailure(
                plugin=name,
                target=module,
                distribution=dist[0] if dist else None,
                version=dist[1] if dist else None,
                error=f"{type(exc).__name__}: {exc}",
                exception=exc,
            )
        )

    def _add(self, info: DriverInfo, plugin: str) -> None:
        driver = InstalledDriver(info=info, plugin=plugin, version=_version_of(info.distribution))
        self.drivers.append(driver)
        for scheme in driver.info.schemes:
            other = self._by_scheme.get(scheme)
            if other is None:
                self._by_scheme[scheme] = driver
            elif scheme not in self._conflicts:
                self._conflicts[scheme] = (other, driver)

    def _failure_for(self, scheme: str) -> PluginFailure | None:
        wanted = {scheme, _PLUGIN_NAMES.get(scheme, scheme)}
        names = wanted | {f"sessionjar-{name}" for name in wanted}
        for failure in self.failures:
            dist = _normalise(failure.distribution or "")
            if failure.plugin in wanted or dist in {_normalise(n) for n in names}:
                return failure
        return None


def _checked(infos: object) -> list[DriverInfo]:
    if not isinstance(infos, list | tuple):
        raise TypeError(f"sessionjar_register_drivers returned {type(infos).__name__}, not list")
    for info in infos:
        if not isinstance(info, DriverInfo):
            raise TypeError(f"sessionjar_register_drivers returned a {type(info).__name__}")
        bad = [s for s in info.schemes if not _SCHEME_RE.fullmatch(s)]
        if not info.schemes or bad:
            raise ValueError(f"driver {info.name!r} declares invalid URL schemes {bad or '()'}")
    return list(infos)


def _checked_store(info: DriverInfo, store: _S) -> _S:
    if store.protocol_version not in SUPPORTED_PROTOCOL_VERSIONS:
        raise ConfigurationError(
            f"driver {info.name!r} returned a store of storage protocol version "
            f"{store.protocol_version}, not one of {_versions()}"
        )
    return store


def _versions() -> str:
    return ", ".join(map(str, sorted(SUPPORTED_PROTOCOL_VERSIONS)))


def _missing_client(info: DriverInfo, url: str, exc: ImportError) -> DriverNotFound:
    return DriverNotFound(scheme_of(url), info.install_hint, f"{type(exc).__name__}: {exc}")


def _describe(driver: InstalledDriver) -> str:
    return f"{driver.info.name} (from {driver.info.distribution})"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version_of(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _distribution_of(entry_point_name: str) -> tuple[str, str] | None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP, name=entry_point_name):
        if entry_point.dist is not None:
            return entry_point.dist.metadata["Name"], entry_point.dist.version
    return None


def scheme_of(url: str) -> str:
    """Return the lower-cased scheme of a store URL.

    Raises:
        ConfigurationError: the URL has no scheme.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            "a store URL looks like scheme://..., e.g. sqlite:///sessions.db or memory://"
        )
    scheme = urlsplit(url).scheme.lower()
    if not scheme:
        raise ConfigurationError("the store URL has no scheme, e.g. sqlite:// or redis://")
    return scheme


_S = TypeVar("_S", "Store", "AsyncStore")
_lock = threading.Lock()
_default: Registry | None = None


def default_registry() -> Registry:
    """Return the registry of this process, discovering the plugins on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = Registry.discover()
        return _default


def open_store(url: str, *, namespace: str = "sessionjar") -> Store:
    """Open a sync store for ``url`` with the driver of its scheme; does no I/O.

    Args:
        url: the store URL, e.g. ``sqlite:///sessions.db`` or ``redis://localhost``.
        namespace: prefix that isolates this application's records from others'
            on the same backend: 1-48 letters, digits, ``_`` or ``-``.

    Raises:
        ConfigurationError: bad namespace or URL options, or a driver of another
            storage protocol version.
        DriverNotFound: no installed driver handles the scheme, or its client
            library is missing (with an install hint, and the import error as ``cause``).
        DriverConflict: two installed drivers claim the scheme.
    """
    return default_registry().open_sync(url, namespace)


def open_async_store(url: str, *, namespace: str = "sessionjar") -> AsyncStore:
    """Open an async store for ``url`` with the driver of its scheme; does no I/O.

    Parameters and errors as for `open_store`.
    """
    return default_registry().open_async(url, namespace)


def driver_for(url: str) -> DriverInfo:
    """Return the description of the driver that handles ``url``'s scheme.

    Raises:
        DriverNotFound: no installed driver handles the scheme.
        DriverConflict: two installed drivers claim the scheme.
        ConfigurationError: the URL has no scheme.
    """
    return default_registry().driver_for(url)


def installed_drivers() -> list[InstalledDriver]:
    """Return every driver found, built-in ones first, with its distribution's version."""
    return list(default_registry().drivers)


def plugin_failures() -> list[PluginFailure]:
    """Return the driver plugins that failed to load, with their errors."""
    return list(default_registry().failures)
