"""A throwaway PostgreSQL cluster of one test, which the test may stop and start.

The shared test server is never disturbed: this cluster lives in its own directory under
/var/tmp on a free loopback port, and is run as the ``postgres`` user when the tests run
as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["Cluster", "cluster", "statement_log_cluster"]


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not found:
        pytest.fail(
            "no PostgreSQL binaries in /usr/lib/postgresql/*/bin; install them with "
            "`bash .ci/services/postgres.sh`",
            pytrace=False,
        )
    return Path(found[-1])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on a free loopback port."""

    def __init__(self, *settings: str) -> None:
        self.settings = settings
        self.bin = _bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="sessionjar-pgtest-", dir="/var/tmp"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.log = self.dir / "server.log"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale")  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        options += "".join(f" -c {setting}" for setting in self.settings)
        log = str(self.log)
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options,
                  "start")  # fmt: skip

    def stop(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected) and wait until it is down."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def kill(self) -> None:
        """Kill the server at once, as a crash would: no checkpoint, no goodbye to clients."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        """Stop the server if it runs, and delete the cluster."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [*self._as, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode:
            pytest.fail(f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A started throwaway cluster, destroyed after the test."""
    yield from _started(Cluster())


@pytest.fixture(scope="module")
def statement_log_cluster() -> Iterator[Cluster]:
    """A started throwaway cluster that logs every statement it runs to ``Cluster.log``."""
    yield from _started(Cluster("log_statement=all"))


def _started(server: Cluster) -> Iterator[Cluster]:
    try:
        server.start()
        yield server
    finally:
        server.destroy()
