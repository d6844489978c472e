"""The ``sessionjar`` command: list drivers, check a driver, prepare a store's schema.

Exit codes: 0 success; 1 the operation failed (a plugin failed to load, the store is
unavailable, or conformance tests failed: ``check`` returns pytest's own exit code);
2 usage or configuration error (bad arguments, no driver for the URL, the conformance
suite not installed).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, distribution
from typing import Final

from sessionjar._registry import InstalledDriver, PluginFailure, Registry, default_registry
from sessionjar.errors import ConfigurationError, SessionjarError

__all__ = ["main"]

CONFORMANCE: Final = "sessionjar-conformance"
OK, FAILED, USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigurationError as exc:
        print(f"sessionjar: error: {exc}", file=sys.stderr)
        return USAGE
    except SessionjarError as exc:
        print(f"sessionjar: error: {exc}", file=sys.stderr)
        return FAILED
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sessionjar", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    drivers = commands.add_parser("drivers", help="list installed drivers and broken plugins")
    drivers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    drivers.set_defaults(run=_drivers)
    check = commands.add_parser("check", help="run the conformance suite against a store URL")
    check.add_argument("url", help="store URL, e.g. sqlite:///check.db")
    check.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    check.set_defaults(run=_check)
    migrate = commands.add_parser("migrate", help="create or upgrade a store's schema")
    migrate.add_argument("url", help="store URL")
    migrate.add_argument("--namespace", default="sessionjar", help="default: sessionjar")
    migrate.set_defaults(run=_migrate)
    return parser


def _drivers(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.json:
        print(json.dumps(_report(registry), indent=2))
    else:
        _print_table(registry)
    return FAILED if registry.failures or registry.conflicts() else OK


def _report(registry: Registry) -> dict[str, object]:
    return {
        "drivers": [_driver_entry(driver) for driver in registry.drivers],
        "failures": [_failure_entry(failure) for failure in registry.failures],
        "conflicts": {
            scheme: [pair[0].info.name, pair[1].info.name]
            for scheme, pair in registry.conflicts().items()
        },
    }


def _driver_entry(driver: InstalledDriver) -> dict[str, object]:
    info = driver.info
    return {
        "name": info.name,
        "schemes": list(info.schemes),
        "distribution": info.distribution,
        "version": driver.version,
        "plugin": driver.plugin,
        "protocol_version": info.protocol_version,
        "capabilities": sorted(info.capabilities),
        "install_hint": info.install_hint,
    }


def _failure_entry(failure: PluginFailure) -> dict[str, object]:
    return {
        "plugin": failure.plugin,
        "target": failure.target,
        "distribution": failure.distribution,
        "version": failure.version,
        "error": failure.error,
    }


def _print_table(registry: Registry) -> None:
    header = ("SCHEMES", "DRIVER", "DISTRIBUTION", "VERSION", "PROTOCOL", "CAPABILITIES")
    rows = [header] + [
        (
            ", ".join(d.info.schemes),
            d.info.name,
            d.info.distribution,
            d.version or "?",
            str(d.info.protocol_version),
            ", ".join(sorted(d.info.capabilities)) or "-",
        )
        for d in registry.drivers
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    for scheme, (first, second) in registry.conflicts().items():
        print(f"\nconflict: {scheme}:// is claimed by {first.info.name} and {second.info.name}")
    for failure in registry.failures:
        origin = f"{failure.distribution} {failure.version}" if failure.distribution else "?"
        print(f"\nfailed to load plugin {failure.plugin!r} ({origin}): {failure.error}")


def _check(args: argparse.Namespace) -> int:
    default_registry().driver_for(args.url)
    try:
        distribution(CONFORMANCE)
    except PackageNotFoundError:
        print(
            f"sessionjar: error: the conformance suite is not installed; "
            f"install it with: pip install {CONFORMANCE}",
            file=sys.stderr,
        )
        return USAGE
    command = [sys.executable, "-m", "pytest", "--pyargs", "sessionjar_conformance"]
    command += ["--sessionjar-url", args.url, *args.pytest_args]
    return subprocess.run(command).returncode  # noqa: S603 - our interpreter, user args


def _migrate(args: argparse.Namespace) -> int:
    registry = default_registry()
    info = registry.driver_for(args.url)
    store = registry.open_sync(args.url, args.namespace)
    try:
        migrate = getattr(store, "migrate", None)
        if not callable(migrate):
            print(f"the {info.name} driver keeps no schema: nothing to migrate")
            return OK
        migrate()
        print(f"the {info.name} store's schema for namespace {args.namespace!r} is up to date")
        return OK
    finally:
        store.close()
