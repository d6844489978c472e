"""Every task of the project: tests, driver conformance, lint, types, docs, demo, bench.

    nox                  # the whole test suite (the default sessions below)
    nox -s demo          # the lifecycle walkthrough on the embedded sqlite store
    nox -s webapp        # the example web app on http://127.0.0.1:8000
    nox -s bench         # benchmarks, as ratios against baselines measured in the same run
    nox -s sync          # regenerate the sync twins of the async sources

The default run starts its own servers first (session ``services``: Redis, PostgreSQL,
FerretDB and Chromium from Debian's packages and the Go module proxy; root on Debian),
unless ``SESSIONJAR_SERVICES_UP`` says they already run. Importing this file runs no
subprocess: ``nox -l`` is instant.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import nox

ROOT = Path(__file__).parent
MAIN_PYTHON = "3.11"  # also pins the sync generator: ast.unparse output varies by version
PYTHONS = ["3.11", "3.12", "3.13"]  # the classifiers' versions; uv installs a missing one
DRIVERS = ["redis", "postgres", "mongodb"]
TEST_DEPS = ["pytest>=8", "pytest-asyncio>=0.24", "hypothesis>=6.100"]
# Test processes per driver: its tests mostly wait (on the server, on timeouts, on faults
# that must fail in time), so more processes than cores shorten the run. Redis's fault
# tests bound each call by one second: with four processes a call after a reset once
# missed it (the client closing its broken connection), so two. FerretDB's SQLite
# backend fails concurrent schema changes ("database is locked"): MongoDB's tests run in
# two processes, each on a FerretDB of its own (.ci/services/mongodb.sh starts two).
DRIVER_WORKERS = {"redis": 2, "postgres": 4, "mongodb": 2}
# core's and the suite's own tests mostly compute: one process per core
CPU_WORKERS = ["-n", "2"]
PARALLEL_DEPS = ["pytest-xdist>=3.5"]
WEB_DEPS = ["flask>=3.0", "starlette>=0.37", "fastapi>=0.110", "httpx>=0.27", "uvicorn>=0.30"]
LINT_DEPS = ["ruff>=0.6", "ast-comments>=1.2"]
# an independent JOSE implementation: core/tests/test_jwks_verifiers.py checks that other
# services verify our access tokens through the served JWKS (node's jose is the other one)
VERIFIER_DEPS = ["joserfc>=1.0"]
DJANGO_DEPS = ["django>=5.2", "djangorestframework>=3.15"]
# the supported Django versions: the current LTS and the newest release
DJANGO_VERSIONS = {"lts": "django>=5.2,<5.3", "latest": "django>=5.2"}
DJANGO_PYTHON = "3.12"  # Django 6 needs Python >= 3.12
TYPE_STUBS = ["django-stubs>=5.1", "djangorestframework-stubs>=3.15"]
SERVICES_UP = "SESSIONJAR_SERVICES_UP"
"""Set (by ``.ci/run``) when the services already run: session ``services`` then skips."""

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "services",
    "lint",
    "typecheck",
    "docs",
    "tests",
    "conformance",
    "drivers",
    "django",
    "browser",
]


def _select_pyenv_pythons() -> None:
    """Let pyenv's shims answer for every installed CPython of PYTHONS (no pyenv: no-op).

    pyenv's ``python3.12`` shim fails unless 3.12 is selected (and running nox through
    its shim selects only the global version); selecting by directory name keeps this a
    read of one folder, with no subprocess and no pinned patch version.
    """
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv", "versions")
    if not versions.is_dir():
        return
    wanted = [p.name for p in versions.glob("3.*.*") if p.name.rsplit(".", 1)[0] in PYTHONS]
    wanted.sort(key=lambda name: (not name.startswith(f"{MAIN_PYTHON}."), name))
    selected = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys([*selected, *wanted]))


_select_pyenv_pythons()


def _names_tests(session: nox.Session) -> bool:
    """Tell whether ``-- ARGS`` name test files or folders (``path[::test]``)."""
    return any(Path(arg.split("::")[0]).exists() for arg in session.posargs)


def _pytest(session: nox.Session, *paths: str, options: Sequence[str] = ()) -> None:
    """Run pytest on ``paths``, or on the test files and folders ``-- ARGS`` name instead."""
    named = _names_tests(session)
    session.run("pytest", *(() if named else (*paths, *options)), *session.posargs)


def _install_core(session: nox.Session, *extras: str) -> None:
    spec = f"core[{','.join(extras)}]" if extras else "core"
    session.install("-e", spec, "-e", "conformance_tests", *TEST_DEPS)


@nox.session(python=False)
def services(session: nox.Session) -> None:
    """Install and start Redis, PostgreSQL, FerretDB and Chromium on loopback (idempotent)."""
    if os.environ.get(SERVICES_UP):
        session.skip(f"the services already run ({SERVICES_UP} is set, e.g. by .ci/run)")
    session.run("bash", ".ci/services.sh", external=True)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Core's tests, on each supported CPython."""
    # without the suite installed: `sessionjar check` must then say how to get it
    deps = [*TEST_DEPS, *PARALLEL_DEPS, *WEB_DEPS, *VERIFIER_DEPS]
    session.install("-e", "core[flask,fastapi]", *deps)
    session.run("bash", ".ci/services/node-jose.sh", external=True)  # idempotent
    _pytest(session, "core/tests", options=CPU_WORKERS)


@nox.session(python=MAIN_PYTHON)
def conformance(session: nox.Session) -> None:
    """The conformance suite's own tests (the suite on the embedded stores, its broken
    drivers, its plugin) and the example driver held to it."""
    _install_core(session)
    session.install("-e", "examples/driver-example", *PARALLEL_DEPS)
    _pytest(session, "conformance_tests/tests", options=CPU_WORKERS)
    if not _names_tests(session):  # a run of its own: its modules share the suite's names
        session.run("pytest", "examples/driver-example/tests", *CPU_WORKERS, *session.posargs)


@nox.session(python=MAIN_PYTHON)
@nox.parametrize("driver", DRIVERS)
def drivers(session: nox.Session, driver: str) -> None:
    """A driver's own tests and the whole conformance suite against its real server."""
    _install_core(session)
    # WEB_DEPS: core's test fixtures import Starlette and httpx
    session.install("-e", f"drivers/{driver}", *WEB_DEPS, *PARALLEL_DEPS)
    workers = DRIVER_WORKERS[driver]
    if workers == 1 or _names_tests(session):
        _pytest(session, f"drivers/{driver}/tests")
    else:  # the tests that disturb the shared server for every client run alone, after
        tests, parallel = f"drivers/{driver}/tests", ["-n", str(workers)]
        session.run("pytest", tests, *parallel, "-m", "not disturbs_server", *session.posargs)
        # exit code 5: the driver has no such test
        alone = ["-m", "disturbs_server", *session.posargs]
        session.run("pytest", tests, *alone, success_codes=[0, 5])
    if not session.posargs:  # the CLI's tests that need this driver installed run here
        session.run("pytest", "core/tests/test_cli.py")


@nox.session(python=DJANGO_PYTHON)
@nox.parametrize("version", list(DJANGO_VERSIONS))
def django(session: nox.Session, version: str) -> None:
    """The Django layer and its DRF authentication, on sqlite and Redis, per Django version."""
    _install_core(session, "flask", "fastapi", "djangorestframework")
    session.install("-e", "drivers/redis", *WEB_DEPS, DJANGO_VERSIONS[version])
    tests = sorted(str(path) for path in (ROOT / "core" / "tests").glob("test_django*.py"))
    _pytest(session, *tests)


@nox.session(python=MAIN_PYTHON)
def browser(session: nox.Session) -> None:
    """The example web app driven by Playwright in Debian's headless Chromium."""
    _install_core(session, "flask", "fastapi", "djangorestframework")
    session.install(*WEB_DEPS, *DJANGO_DEPS, "playwright>=1.45")
    _pytest(session, "examples/webapp/tests")


@nox.session(python=MAIN_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and the freshness check of the generated sync code."""
    session.install(*LINT_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("python", "tools/async_to_sync.py", "--check")


@nox.session(python=MAIN_PYTHON)
def sync(session: nox.Session) -> None:
    """Regenerate the sync twins of the async sources (``-- --check`` only verifies)."""
    session.install(*LINT_DEPS)
    session.run("python", "tools/async_to_sync.py", *session.posargs)


# Each distribution is checked from its own folder: their test folders share module names.
TYPED_TREES = [
    ("core", ["sessionjar", "tests"]),
    ("conformance_tests", ["sessionjar_conformance", "tests"]),
    ("drivers/redis", ["sessionjar_redis", "tests"]),
    ("drivers/postgres", ["sessionjar_postgres", "tests"]),
    ("drivers/mongodb", ["sessionjar_mongodb", "tests"]),
    ("examples/driver-example", ["sessionjar_jsonfile", "tests"]),
]


@nox.session(python=MAIN_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package, its tests, the examples and the benchmarks."""
    _install_core(session, "flask", "fastapi", "djangorestframework")
    session.install(*WEB_DEPS, *DJANGO_DEPS, *TYPE_STUBS, *VERIFIER_DEPS)
    session.install("playwright>=1.45", "mypy>=1.11", "nox")
    session.install(*(f"-e{path}" for path in _driver_paths()), "-e", "examples/driver-example")
    config = str(ROOT / "pyproject.toml")
    for folder, targets in TYPED_TREES:
        with session.chdir(ROOT / folder):
            # tests import their fix_*.py fixture plugins as top-level modules
            session.run("mypy", "--config-file", config, *targets, env={"MYPYPATH": "tests"})
    session.run("mypy", "noxfile.py", "tools", "bench", "examples/webapp", "examples/lifecycle.py")


@nox.session(python=MAIN_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the user guide with mkdocs in strict mode (warnings fail the build), then run
    every Python block of the guide and the READMEs (``tools/test_doc_samples.py``).

    ``-- ARGS`` go to that pytest run (e.g. ``-- -k fastapi``).
    """
    _install_core(session, "flask", "fastapi", "djangorestframework")
    session.install("mkdocs>=1.6", "mkdocstrings[python]>=0.26", *WEB_DEPS, *DJANGO_DEPS)
    session.install(*(f"-e{path}" for path in _driver_paths()), "-e", "examples/driver-example")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(ROOT / "site"))
    session.run("pytest", "tools/test_doc_samples.py", *session.posargs)


@nox.session(python=MAIN_PYTHON)
def demo(session: nox.Session) -> None:
    """Walk through a session's lifecycle on the embedded sqlite store, printing each step."""
    session.install("-e", "core")
    session.run("python", "examples/lifecycle.py", *session.posargs)


@nox.session(python=MAIN_PYTHON)
def webapp(session: nox.Session) -> None:
    """Serve the example web app (FastAPI, Flask or Django) on the embedded sqlite store."""
    session.install("-e", "core[flask,fastapi,django]", *WEB_DEPS)
    session.run("python", "-m", "examples.webapp", *session.posargs)


# Benchmark-only peers of the web bench (never dependencies of a library): the session
# layers sessionjar is compared with, and the servers of its real-server run.
WEB_BENCH_PEERS = ["flask-session>=0.8", "starsessions[redis]>=2.1", "gunicorn>=22"]


@nox.session(python=MAIN_PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks: core, sqlite, limits, web, django, and each driver whose server
    answers (``-- NAME`` picks some).

    ``web`` compares the Flask and FastAPI layers with their peers, in process and on
    real servers (it installs ``wrk`` from Debian when missing); ``django`` compares the
    Django layer with Django's own database- and cache-backed sessions.
    """
    names = session.posargs or ["core", "sqlite", "limits", "web", "django", *DRIVERS]
    # conformance_tests: the benchmarks build records with its public test helpers
    session.install("-e", "core", "-e", "conformance_tests", *(f"-e{p}" for p in _driver_paths()))
    if "web" in names:
        session.install("-e", "core[flask,fastapi]", *WEB_DEPS, *WEB_BENCH_PEERS)
        session.run("bash", "bench/install_wrk.sh", external=True)
    if "django" in names:
        session.install("-e", "core[django]")
    for name in names:
        # as modules of the `bench` namespace package, so that one can import another
        session.run("python", "-m", f"bench.bench_{name}")


def _driver_paths() -> list[str]:
    return [f"drivers/{name}" for name in DRIVERS if (ROOT / "drivers" / name).is_dir()]
