"""The fault proxy against a tiny echo server of the test's own, on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from sessionjar_conformance.faultproxy import Fault, FaultProxy


class Echo:
    """A loopback server that records what it receives and sends it back."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address: tuple[str, int] = self.listener.getsockname()[:2]
        self.received = bytearray()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(4096):
                    self.received += data
                    conn.sendall(data)
            except OSError:
                pass


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = Echo()
    yield server
    server.listener.close()


@pytest.fixture
def proxy(echo: Echo) -> Iterator[FaultProxy]:
    with FaultProxy(echo.address) as running:
        yield running


def connect(proxy: FaultProxy) -> socket.socket:
    return socket.create_connection(proxy.address, timeout=5)


def exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(4096)


def test_listens_on_loopback_and_passes_through(proxy: FaultProxy) -> None:
    assert proxy.address[0] == "127.0.0.1"
    with connect(proxy) as sock:
        assert exchange(sock, b"ping") == b"ping"
    assert proxy.fault is Fault.NONE


def test_black_hole_swallows_both_ways_and_heal_resets_damaged(
    proxy: FaultProxy, echo: Echo
) -> None:
    with connect(proxy) as sock:
        proxy.black_hole()
        sock.settimeout(0.3)
        sock.sendall(b"lost")
        with pytest.raises(TimeoutError):
            sock.recv(4096)
        assert b"lost" not in echo.received
        proxy.heal()
        sock.settimeout(5)
        with pytest.raises(ConnectionResetError):
            sock.recv(4096)
    with connect(proxy) as sock:
        assert exchange(sock, b"again") == b"again"


def test_reset_before_reply_delivers_the_request_only(proxy: FaultProxy, echo: Echo) -> None:
    with connect(proxy) as sock:
        proxy.reset_before_reply()
        sock.sendall(b"write")
        with pytest.raises(ConnectionResetError):
            sock.recv(4096)
    assert bytes(echo.received) == b"write"
    assert proxy.resets == 1
    assert proxy.fault is Fault.NONE
    with connect(proxy) as sock:
        assert exchange(sock, b"next") == b"next"


def test_reset_mid_reply_delivers_half(proxy: FaultProxy) -> None:
    with connect(proxy) as sock:
        proxy.reset_mid_reply()
        assert exchange(sock, b"abcdefgh") == b"abcd"
        with pytest.raises(ConnectionResetError):
            sock.recv(4096)


def test_reset_until_healed(proxy: FaultProxy) -> None:
    proxy.reset_before_reply(times=None)
    for _ in range(3):
        with connect(proxy) as sock, pytest.raises(ConnectionResetError):
            exchange(sock, b"x")
    assert proxy.resets == 3
    proxy.heal()
    with connect(proxy) as sock:
        assert exchange(sock, b"ok") == b"ok"


def test_latency_holds_each_chunk(proxy: FaultProxy) -> None:
    proxy.add_latency(0.5)
    with connect(proxy) as sock:
        sock.settimeout(0.2)
        sock.sendall(b"slow")
        with pytest.raises(TimeoutError):  # not there yet: a lower bound, never flaky
            sock.recv(4096)
        sock.settimeout(5)
        assert sock.recv(4096) == b"slow"


def test_one_listener_per_upstream(echo: Echo) -> None:
    other = Echo()
    try:
        with FaultProxy(echo.address, other.address) as proxy:
            first, second = proxy.address_of(echo.address), proxy.address_of(other.address)
            assert first != second
            assert proxy.address == first
            with socket.create_connection(second, timeout=5) as sock:
                assert exchange(sock, b"two") == b"two"
            assert bytes(other.received) == b"two"
    finally:
        other.listener.close()


def test_bounded_connections(echo: Echo) -> None:
    with FaultProxy(echo.address, max_connections=1) as proxy, connect(proxy) as first:
        assert exchange(first, b"1") == b"1"
        with connect(proxy) as second:
            assert second.recv(4096) == b""  # closed at once


def test_close_stops_every_thread(echo: Echo) -> None:
    proxy = FaultProxy(echo.address)
    address = proxy.address
    sock = connect(proxy)
    assert exchange(sock, b"x") == b"x"
    proxy.add_latency(30)
    sock.sendall(b"held")
    proxy.close()
    sock.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("faultproxy")]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=1)


def test_bad_arguments_are_refused(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="at least one upstream"):
        FaultProxy()
    with pytest.raises(ValueError, match="latency"):
        proxy.add_latency(0)
    with pytest.raises(ValueError, match="times"):
        proxy.reset_before_reply(times=0)
