"""A throwaway FerretDB server of one test, which the test may kill and start again.

The shared test server is never disturbed: this one is the binary ``.ci/services/mongodb.sh``
cached, on a free loopback port, with its SQLite data in the test's temporary directory.
"""

from __future__ import annotations

import glob
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import PyMongoError

__all__ = ["FerretDB", "ferretdb"]

_BINARIES = "/root/.cache/sessionjar/ferretdb-v1.*"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FerretDB:
    """A FerretDB v1 process with the SQLite backend, on a free loopback port."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"mongodb://127.0.0.1:{self.port}/"
        (folder / "data").mkdir()
        self._command = [
            binary, "--handler=sqlite", f"--sqlite-url=file:{folder}/data/",
            f"--listen-addr=127.0.0.1:{self.port}", "--telemetry=disable", "--debug-addr=-",
            "--log-level=error", f"--state-dir={folder}",
        ]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers a ping (at most 20 s)."""
        self._process = subprocess.Popen(self._command, stdout=subprocess.DEVNULL)
        client: MongoClient[dict[str, object]] = MongoClient(
            self.url, serverSelectionTimeoutMS=200
        )
        with client:
            for _ in range(100):
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    time.sleep(0.2)
        self.kill()
        pytest.fail(f"the FerretDB started on port {self.port} did not answer")

    def kill(self) -> None:
        """Kill the server (SIGKILL: no goodbye to clients) and wait until it is gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def ferretdb(tmp_path: Path) -> Iterator[FerretDB]:
    """A started throwaway FerretDB, killed after the test."""
    found = sorted(glob.glob(_BINARIES))
    if not found:
        pytest.fail("no FerretDB binary cached; build it with `bash .ci/services/mongodb.sh`")
    server = FerretDB(found[-1], tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.kill()
