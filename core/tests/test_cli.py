"""Tests of the ``sessionjar`` command, run for real as ``python -m sessionjar``."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import sessionjar as sessionjar_lib
from sessionjar.drivers import mask_credentials
from sessionjar.storage import PROTOCOL_VERSION
from sessionjar.testing import ManualClock

if TYPE_CHECKING:
    from fix_registry import PluginSite


def _installed(name: str) -> bool:
    try:
        distribution(name)
    except PackageNotFoundError:
        return False
    return True


def sessionjar(
    *args: str, pythonpath: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "sessionjar", *args],
        capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=300,
    )  # fmt: skip


def test_drivers_lists_the_builtin_drivers() -> None:
    result = sessionjar("drivers")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "SCHEMES", "DRIVER", "DISTRIBUTION", "VERSION", "PROTOCOL", "CAPABILITIES",
    ]  # fmt: skip
    sqlite_row = next(line for line in lines if line.startswith("sqlite"))
    assert sqlite_row.split()[:5] == [
        "sqlite",
        "sqlite",
        "sessionjar",
        distribution("sessionjar").version,
        str(PROTOCOL_VERSION),
    ]


def test_drivers_json_reports_broken_plugins_and_conflicts(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-redis", "0.9", {"redis": "cli_broken_plugin"},
        {"cli_broken_plugin": "import no_such_redis_client\n"},
    )  # fmt: skip
    plugin_site.add_distribution(
        "sessionjar-clash", "1.0", {"clash": "cli_clash_plugin"},
        {"cli_clash_plugin": plugin_site.driver_module("clash", ("sqlite", "clash"))},
    )  # fmt: skip
    result = sessionjar("drivers", "--json", pythonpath=plugin_site.pythonpath)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    drivers = {driver["name"]: driver for driver in report["drivers"]}
    assert drivers["clash"]["version"] == "1.0"
    assert drivers["sqlite"]["capabilities"] == [
        "multi_process",
        "shared_namespace",
        "unreachable",
    ]
    assert report["conflicts"] == {"sqlite": ["sqlite", "clash"]}
    [failure] = report["failures"]
    assert failure == {
        "plugin": "redis",
        "target": "cli_broken_plugin",
        "distribution": "sessionjar-redis",
        "version": "0.9",
        "error": "ModuleNotFoundError: No module named 'no_such_redis_client'",
    }


def test_drivers_table_reports_broken_plugins(plugin_site: PluginSite) -> None:
    plugin_site.add_distribution(
        "sessionjar-mongodb", "0.2", {"mongodb": "cli_broken_mongo"},
        {"cli_broken_mongo": "raise ImportError('pymongo is too old')\n"},
    )  # fmt: skip
    result = sessionjar("drivers", pythonpath=plugin_site.pythonpath)
    assert result.returncode == 1
    assert (
        "failed to load plugin 'mongodb' (sessionjar-mongodb 0.2): ImportError: pymongo is too old"
        in result.stdout
    )
    assert "memory" in result.stdout


def test_migrate_creates_the_sqlite_schema(tmp_path: Path) -> None:
    result = sessionjar("migrate", "sqlite:///app.db", "--namespace", "shop", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "'shop'" in result.stdout
    with closing(sqlite3.connect(tmp_path / "app.db")) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"shop_sessions", "shop_signing_keys", "shop_schema"} <= names


def test_migrate_on_a_store_without_schema_says_so() -> None:
    result = sessionjar("migrate", "memory://")
    assert (result.returncode, result.stdout) == (
        0,
        "memory:// answers; the memory driver keeps no schema: nothing to migrate\n",
    )


def test_version_is_the_installed_distribution_version() -> None:
    result = sessionjar("--version")
    assert (result.returncode, result.stdout) == (
        0,
        f"sessionjar {distribution('sessionjar').version}\n",
    )


def test_drivers_into_a_closed_pipe_exits_without_a_traceback() -> None:
    reader = subprocess.Popen(
        [sys.executable, "-m", "sessionjar", "drivers", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert reader.stdout is not None
    assert reader.stderr is not None
    reader.stdout.close()  # as `| head` does once it has read enough
    with reader.stderr:
        assert (reader.wait(timeout=300), reader.stderr.read()) == (1, b"")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("redis://:s3cret@host:6379/0", "redis://:***@host:6379/0"),
        ("postgresql://app:p@ss:w0rd@db/app", "postgresql://app:***@db/app"),
        ("rediss+cluster://u:pw@n1:7001,n2:7002", "rediss+cluster://u:***@n1:7001,n2:7002"),
        ("failed: host=db user=app password=hunter2", "failed: host=db user=app password=***"),
        ("postgresql://db/app?password=x&sslmode=require", "postgresql://db/app?password=***&sslmode=require"),
        ("mongodb://db.internal/app and sqlite:///a:b@c.db", "mongodb://db.internal/app and sqlite:///a:b@c.db"),
    ],
)  # fmt: skip
def test_mask_credentials_hides_passwords_and_keeps_the_rest(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["migrate", "sqlite:////proc/nonexistent/x.db"], 1, "unable to open database file"),
        pytest.param(
            ["migrate", "redis://localhost"],
            2,
            'pip install "sessionjar[redis]"',
            marks=pytest.mark.skipif(
                _installed("sessionjar-redis"), reason="sessionjar-redis is installed here"
            ),
        ),
        (["migrate", "memory://", "--namespace", "no spaces"], 2, "invalid namespace"),
        (["migrate", "sqlite:///:memory:"], 2, "use memory:// instead"),
        (["check", "nosuch://x"], 2, "no sessionjar driver for URL scheme 'nosuch'"),
        (["frobnicate"], 2, "invalid choice"),
        ([], 2, "required: COMMAND"),
    ],
)
def test_errors_have_documented_exit_codes(args: list[str], code: int, message: str) -> None:
    result = sessionjar(*args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


# `nox -s tests` runs core's tests before it installs the suite; its run is in the suite's tests.
@pytest.mark.skipif(_installed("sessionjar-conformance"), reason="the suite is installed here")
def test_check_without_the_suite_exits_2_with_the_install_hint() -> None:
    result = sessionjar("check", "memory://check")
    assert result.returncode == 2
    assert "pip install sessionjar-conformance" in result.stderr


# Two drivers that talk TCP, when installed (`nox -s tests` installs core alone).
CLOSED_PORT_URLS = [
    pytest.param(
        "postgresql://sessionjar:hunter2@127.0.0.1:1/sessionjar",
        marks=pytest.mark.skipif(
            not _installed("sessionjar-postgres"), reason="sessionjar-postgres is not installed"
        ),
    ),
    pytest.param(
        "redis://:hunter2@127.0.0.1:1/0",
        marks=pytest.mark.skipif(
            not _installed("sessionjar-redis"), reason="sessionjar-redis is not installed"
        ),
    ),
    pytest.param(
        "mongodb://sessionjar:hunter2@127.0.0.1:1/sessionjar",
        marks=pytest.mark.skipif(
            not _installed("sessionjar-mongodb"), reason="sessionjar-mongodb is not installed"
        ),
    ),
]


def assert_failed_with_cause(result: subprocess.CompletedProcess[str], cause: str) -> None:
    """Exit 1, an error line (and a cause line if it does not say it) naming ``cause``, no
    password, no log spam."""
    assert result.returncode == 1, result
    error, *said_cause = result.stderr.splitlines()
    assert error.startswith("sessionjar: error: ")
    assert all(line.startswith("sessionjar: cause: ") for line in said_cause)
    assert len(said_cause) <= 1
    assert cause in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize("url", CLOSED_PORT_URLS)
def test_migrate_on_a_closed_port_says_connection_refused(url: str) -> None:
    assert_failed_with_cause(sessionjar("migrate", url), "Connection refused")


@pytest.mark.parametrize("url", CLOSED_PORT_URLS)
def test_check_tries_the_server_before_running_any_test(url: str) -> None:
    result = sessionjar("check", url)
    assert_failed_with_cause(result, "Connection refused")
    assert result.stdout == ""  # pytest never started


@pytest.mark.skipif(not _installed("sessionjar-postgres"), reason="needs sessionjar-postgres")
def test_migrate_with_a_wrong_password_says_so() -> None:
    # the server of .ci/services/postgres.sh, whose password is "sessionjar"
    result = sessionjar("migrate", "postgresql://sessionjar:hunter2@127.0.0.1:5432/sessionjar")
    assert_failed_with_cause(result, 'password authentication failed for user "sessionjar"')


@pytest.mark.skipif(not _installed("sessionjar-mongodb"), reason="needs sessionjar-mongodb")
def test_migrate_creates_the_mongodb_indexes_and_says_so() -> None:
    namespace = f"cli_{uuid.uuid4().hex[:12]}"
    result = sessionjar(
        "migrate",
        "mongodb://127.0.0.1:27017/sessionjar?accept_non_atomic_updates=true",
        "--namespace",
        namespace,
    )
    assert result.returncode == 0, result.stderr
    assert f"indexes in place: {namespace}.sessions (tenant_user, expires_at)" in result.stdout


@pytest.mark.skipif(not _installed("sessionjar-redis"), reason="needs sessionjar-redis")
def test_migrate_on_redis_pings_it_and_has_nothing_to_migrate() -> None:
    result = sessionjar("migrate", "redis://127.0.0.1:6379/0")
    assert (result.returncode, result.stdout) == (
        0,
        "redis://127.0.0.1:6379/0 answers; the redis driver keeps no schema: nothing to migrate\n",
    )


def _expired_and_live_sessions(url: str, expired: int, live: int) -> None:
    """Create ``expired`` sessions that expired long ago and ``live`` ones that did not."""
    past = sessionjar_lib.SessionManager(
        sessionjar_lib.open_store(url), clock=ManualClock(datetime(2026, 3, 2, tzinfo=UTC))
    )
    with past:
        for number in range(expired):
            past.create_session(f"gone-{number}")
    with sessionjar_lib.SessionManager(sessionjar_lib.open_store(url)) as now:
        for number in range(live):
            now.create_session(f"here-{number}")


def _users(url: str) -> set[str]:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        return {row[0] for row in conn.execute("SELECT user_id FROM sessionjar_sessions")}


def test_cleanup_deletes_in_batches_and_prints_plain_lines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    _expired_and_live_sessions(url, expired=21, live=2)
    result = sessionjar("cleanup", url, "--batch-size", "7")
    assert result.returncode == 0, result.stderr
    first, summary = result.stdout.splitlines()
    assert first == f"{url}, namespace 'sessionjar': deleting expired sessions"
    assert summary.startswith("21 expired session(s) deleted in 4 batch(es), ")
    assert "\r" not in result.stdout  # not a terminal: no redrawn line
    assert _users(url) == {"here-0", "here-1"}
    again = sessionjar("cleanup", url)
    assert again.stdout.splitlines()[1].startswith("0 expired session(s) deleted in 1 batch(es)")


def test_cleanup_on_a_terminal_redraws_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    _expired_and_live_sessions(url, expired=3, live=0)
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "sessionjar", "cleanup", url, "--batch-size", "2"],
        stdout=terminal,
        stderr=subprocess.PIPE,
    ) as process:
        os.close(terminal)
        output = _read_all(controller)
        assert process.wait(timeout=60) == 0
    text = output.decode().replace("\r\n", "\n")
    assert "\r" in text  # the progress line is cleared before the summary
    last_line = text.rstrip("\n").split("\n")[-1].split("\r")[-1]
    assert last_line.startswith("3 expired session(s) deleted in 2 batch(es), ")
    assert _users(url) == set()


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side of the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "not a positive integer: '0'"),
        (["--batch-size", "many"], "not a positive integer: 'many'"),
        (["--namespace", "no spaces"], "invalid namespace"),
    ],
)
def test_cleanup_with_bad_arguments_exits_2(args: list[str], message: str) -> None:
    result = sessionjar("cleanup", "memory://", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cleanup_on_an_unreachable_store_exits_1() -> None:
    result = sessionjar("cleanup", "sqlite:////proc/nonexistent/x.db")
    assert result.returncode == 1
    assert "unable to open database file" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("url", CLOSED_PORT_URLS)
def test_cleanup_on_a_closed_port_says_connection_refused(url: str) -> None:
    result = sessionjar("cleanup", url, "--timeout", "10")
    assert_failed_with_cause(result, "Connection refused")
    assert result.stdout == ""
