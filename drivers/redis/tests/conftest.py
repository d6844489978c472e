"""Fixtures of the Redis driver tests: the real servers they run against, and raw clients."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import redis

from sessionjar import SessionRecord, SigningKeyRecord
from sessionjar_conformance.helpers import new_record, new_signing_key, utc_now

STANDALONE_URL = os.environ.get("SESSIONJAR_REDIS_URL", "redis://127.0.0.1:6379/0")
CLUSTER_URL = os.environ.get("SESSIONJAR_REDIS_CLUSTER_URL", "redis+cluster://127.0.0.1:7001")
UNIX_URL = os.environ.get(
    "SESSIONJAR_REDIS_UNIX_URL", "unix:///var/tmp/sessionjar-redis/6379/redis.sock"
)
TLS_URL = os.environ.get(
    "SESSIONJAR_REDIS_TLS_URL",
    "rediss://127.0.0.1:6380/0?ssl_ca_certs=/var/tmp/sessionjar-redis/tls/cert.pem",
)
_HOW = "start it with `bash .ci/services/redis.sh` (as root), or point {var} at one"

Raw = redis.Redis | redis.RedisCluster


def raw_client(url: str) -> Raw:
    """Return a plain redis-py client (text replies) on a test URL, to inspect the server."""
    if "+cluster://" in url:
        return redis.RedisCluster.from_url(
            url.replace("+cluster", "", 1), decode_responses=True, socket_connect_timeout=2
        )
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=2)


def _checked(url: str, var: str) -> str:
    try:
        with raw_client(url) as client:
            client.ping()
    except (redis.RedisError, redis.exceptions.RedisClusterException) as exc:
        pytest.fail(f"no Redis answers at {url} ({exc}); {_HOW.format(var=var)}")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the standalone test server; fails the test if it does not answer."""
    return _checked(STANDALONE_URL, "SESSIONJAR_REDIS_URL")


@pytest.fixture(scope="session")
def cluster_url() -> str:
    """The URL of the test Redis Cluster; fails the test if it does not answer."""
    return _checked(CLUSTER_URL, "SESSIONJAR_REDIS_CLUSTER_URL")


@pytest.fixture(scope="session")
def cluster_nodes(cluster_url: str) -> tuple[tuple[str, int], ...]:
    """The (host, port) of every node of the test cluster, as it announces them."""
    client = raw_client(cluster_url)
    assert isinstance(client, redis.RedisCluster)
    with client:
        nodes = client.get_nodes()  # type: ignore[no-untyped-call]
        return tuple((node.host, node.port) for node in nodes)


@pytest.fixture(scope="session")
def unix_url() -> str:
    """The Unix-socket URL of the standalone test server; fails if it does not answer."""
    return _checked(UNIX_URL, "SESSIONJAR_REDIS_UNIX_URL")


@pytest.fixture(scope="session")
def tls_url() -> str:
    """The TLS URL of the standalone test server; fails if it does not answer."""
    return _checked(TLS_URL, "SESSIONJAR_REDIS_TLS_URL")


def _free_port(*, bus: bool) -> int:
    """Return a free loopback port; with ``bus``, one whose cluster bus port (+10000) is too."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if not bus:
            return port
        if port + 10_000 <= 65_535:
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port + 10_000))
                    return port
                except OSError:
                    continue
    pytest.fail("found no free loopback port for a throwaway redis-server")


class _Throwaway:
    """A redis-server of the test's own on a free loopback port (killed after the test)."""

    def __init__(self, folder: Path, *options: str) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is not installed; run `bash .ci/services/redis.sh`")
        self.port = _free_port(bus="--cluster-enabled" in options)
        self.options = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder)]
        self.options += ["--save", "", *options]
        self.client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["redis-server", *self.options], stdout=subprocess.DEVNULL)
        for _ in range(400):  # up to 20 s: startup is slow on a loaded machine
            try:
                self.client.ping()
                return process
            except redis.ConnectionError:
                if process.poll() is not None:
                    pytest.fail(
                        f"redis-server on port {self.port} exited ({process.returncode});"
                        " another process may have taken the port: run the test again"
                    )
                time.sleep(0.05)
        process.kill()
        pytest.fail(f"the redis-server started on port {self.port} did not answer")

    def crash_and_restart(self) -> None:
        """Kill the server (no shutdown, no save) and start it again on its data."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = self._start()

    def stop(self) -> None:
        """Kill the server."""
        self.client.close()
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def half_cluster_url(tmp_path: Path) -> Iterator[str]:
    """A one-node Redis Cluster that covers only slots 0-100: it answers CLUSTERDOWN."""
    server = _Throwaway(tmp_path, "--cluster-enabled", "yes", "--cluster-config-file", "n.conf")
    try:
        server.client.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 100)  # type: ignore[no-untyped-call]
        yield f"redis+cluster://127.0.0.1:{server.port}?socket_timeout=1&socket_connect_timeout=1"
    finally:
        server.stop()


@pytest.fixture
def durable_server(tmp_path: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A server with the append-only file synced on every write, as the docs advise.

    Yields its URL and a function that kills it and starts it again on its data.
    """
    server = _Throwaway(tmp_path, "--appendonly", "yes", "--appendfsync", "always")
    try:
        yield f"redis://127.0.0.1:{server.port}/0", server.crash_and_restart
    finally:
        server.stop()


@pytest.fixture(params=["standalone", "cluster"])
def url(request: pytest.FixtureRequest) -> str:
    """Each test server's URL in turn."""
    fixture = "redis_url" if request.param == "standalone" else "cluster_url"
    value: str = request.getfixturevalue(fixture)
    return value


@pytest.fixture
def raw(url: str) -> Iterator[Raw]:
    """A plain client on the server of ``url``."""
    with raw_client(url) as client:
        yield client


@pytest.fixture
def namespace() -> str:
    """A namespace no other test uses."""
    return f"rt_{secrets.token_hex(6)}"


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """Return the current time truncated to whole milliseconds, as core passes it."""
    return utc_now


@pytest.fixture
def make_record() -> Callable[..., SessionRecord]:
    """Return a factory of fresh session records: ``make_record(created, **fields)``."""
    return new_record


@pytest.fixture
def make_key() -> Callable[[datetime], SigningKeyRecord]:
    """Return a factory of fresh signing keys valid for a day: ``make_key(created)``."""
    return new_signing_key


@pytest.fixture
def servers(raw: Raw) -> list[redis.Redis]:
    """A plain client on each primary of the server of ``url`` (one if standalone)."""
    if isinstance(raw, redis.RedisCluster):
        return [node.redis_connection for node in raw.get_primaries()]  # type: ignore[no-untyped-call]
    return [raw]


@pytest.fixture
def cluster(cluster_url: str) -> Iterator[redis.RedisCluster]:
    """A plain client on the test cluster."""
    client = raw_client(cluster_url)
    assert isinstance(client, redis.RedisCluster)
    with client:
        yield client


@pytest.fixture
def node_of(cluster: redis.RedisCluster) -> Callable[[str], tuple[str, int]]:
    """Return the (host, port) of the cluster primary that holds a key."""

    def find(key: str) -> tuple[str, int]:
        node = cluster.get_node_from_key(key)  # type: ignore[no-untyped-call]
        return node.host, node.port

    return find


@pytest.fixture
def primary_addresses(cluster: redis.RedisCluster) -> set[tuple[str, int]]:
    """The (host, port) of every primary of the test cluster."""
    nodes = cluster.get_primaries()  # type: ignore[no-untyped-call]
    return {(node.host, node.port) for node in nodes}


Log = Callable[[str], AbstractContextManager[Callable[[], list[str]]]]


@pytest.fixture
def command_log(redis_url: str) -> Iterator[Log]:
    """Record with MONITOR the commands clients send to the standalone server.

    ``with command_log(namespace) as sent:`` … ``sent()`` returns the names of the
    commands sent so far that name ``namespace`` (each of a store's commands names a key
    of its namespace), in order: other clients of the shared server are left out, and so
    are commands run inside scripts.
    """
    server = redis.Redis.from_url(redis_url, decode_responses=True)

    @contextmanager
    def log(namespace: str) -> Iterator[Callable[[], list[str]]]:
        marker = f"end-{secrets.token_hex(4)}"
        with server.monitor() as monitor:  # type: ignore[no-untyped-call]

            def sent() -> list[str]:
                server.echo(marker)
                entries: list[dict[str, Any]] = []
                while marker not in (entry := monitor.next_command())["command"]:
                    entries.append(entry)
                # The marker's connection may have sent its handshake first: leave it out.
                mine = (entry["client_address"], entry["client_port"])
                return [
                    e["command"].split()[0].upper()
                    for e in entries
                    if e["client_type"] != "lua"
                    and namespace in e["command"]
                    and (e["client_address"], e["client_port"]) != mine
                ]

            yield sent

    with server:
        yield log
