"""The ``sessionjar`` command: list drivers, check a driver, prepare a store's schema,
delete expired sessions.

Exit codes: 0 success; 1 the operation failed (a plugin failed to load, the store is
unavailable, or conformance tests failed: ``check`` returns pytest's own exit code);
2 usage or configuration error (bad arguments, no driver for the URL, the conformance
suite not installed); 130 interrupted (Ctrl-C). Passwords in URLs are masked in
everything it prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, distribution, version
from typing import TYPE_CHECKING, Final

from sessionjar import _cleanup, _maintenance
from sessionjar._registry import InstalledDriver, PluginFailure, Registry, default_registry
from sessionjar.drivers._url import mask_credentials
from sessionjar.errors import ConfigurationError, SessionjarError
from sessionjar.manager import SessionManager

if TYPE_CHECKING:
    from sessionjar._registry import DriverInfo
    from sessionjar.storage import Store

__all__ = ["main"]

CONFORMANCE: Final = "sessionjar-conformance"
OK, FAILED, USAGE = 0, 1, 2
INTERRUPTED: Final = 130  # 128 + SIGINT, as shells report it


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return its exit code."""
    args = _parser().parse_args(argv)
    trail = _maintenance.LogTrail()
    try:
        with trail.installed():
            code: int = args.run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`sessionjar drivers --json | head`): stop quietly, and
        # keep the interpreter's last flush at exit from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILED
    except KeyboardInterrupt:
        return INTERRUPTED
    except ConfigurationError as exc:
        _error(exc, trail)
        return USAGE
    except SessionjarError as exc:
        _error(exc, trail)
        return FAILED
    return code


def _error(exc: SessionjarError, trail: _maintenance.LogTrail) -> None:
    print(f"sessionjar: error: {_maintenance.one_line(str(exc))}", file=sys.stderr)
    cause = trail.cause_of(exc)
    if cause:
        print(f"sessionjar: cause: {cause}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sessionjar", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"sessionjar {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    drivers = commands.add_parser("drivers", help="list installed drivers and broken plugins")
    drivers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    drivers.set_defaults(run=_drivers)
    check = commands.add_parser("check", help="run the conformance suite against a store URL")
    check.add_argument("url", help="store URL, e.g. sqlite:///check.db")
    _timeout_option(check)
    check.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    check.set_defaults(run=_check)
    migrate = commands.add_parser(
        "migrate", help="create or upgrade a store's schema, check that its server answers"
    )
    migrate.add_argument("url", help="store URL")
    migrate.add_argument("--namespace", default="sessionjar", help="default: sessionjar")
    _timeout_option(migrate)
    migrate.set_defaults(run=_migrate)
    cleanup = commands.add_parser(
        "cleanup", help="delete expired sessions in batches (safe on several machines at once)"
    )
    cleanup.add_argument("url", help="store URL")
    cleanup.add_argument("--namespace", default="sessionjar", help="default: sessionjar")
    cleanup.add_argument(
        "--batch-size",
        type=_positive_int,
        default=_cleanup.DEFAULT_BATCH_SIZE,
        metavar="N",
        help=f"sessions deleted per store call (default: {_cleanup.DEFAULT_BATCH_SIZE})",
    )
    _timeout_option(cleanup)
    cleanup.set_defaults(run=_run_cleanup)
    return parser


def _positive_int(text: str) -> int:
    try:
        return _cleanup.check_batch_size(int(text))
    except (ValueError, ConfigurationError):
        raise argparse.ArgumentTypeError(f"not a positive integer: {text!r}") from None


def _timeout_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout",
        type=float,
        default=_maintenance.DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="how long to wait for the server's first answer "
        f"(default: {_maintenance.DEFAULT_TIMEOUT:g})",
    )


def _version() -> str:
    try:
        return version("sessionjar")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


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
    # A dead server would fail hundreds of tests one timeout at a time: ask it once first.
    with _opened(args.url, "sessionjar") as (_, store):
        _maintenance.within(
            args.timeout, lambda: _maintenance.probe(store), mask_credentials(args.url)
        )
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
    where = mask_credentials(args.url)
    with _opened(args.url, args.namespace) as (info, store):
        _maintenance.within(args.timeout, lambda: _maintenance.probe(store), where)
        if not isinstance(store, _maintenance.SupportsMigrate):
            print(f"{where} answers; the {info.name} driver keeps no schema: nothing to migrate")
            return OK
        done = _maintenance.migrate(store) or "its schema is in place"
        print(f"{where}, namespace {args.namespace!r}: {done}")
        return OK


def _run_cleanup(args: argparse.Namespace) -> int:
    where = mask_credentials(args.url)
    with _opened(args.url, args.namespace) as (_, store):
        _maintenance.within(args.timeout, lambda: _maintenance.probe(store), where)
        _write(f"{where}, namespace {args.namespace!r}: deleting expired sessions\n")
        # through a manager: its clock, its protocol checks and the expired-sessions event
        manager = SessionManager(store)
        _cleanup.delete_in_batches(manager, args.batch_size, _write, terminal=sys.stdout.isatty())
    return OK


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@contextmanager
def _opened(url: str, namespace: str) -> Iterator[tuple[DriverInfo, Store]]:
    registry = default_registry()
    info = registry.driver_for(url)
    store = registry.open_sync(url, namespace)
    try:
        yield info, store
    finally:
        store.close()
