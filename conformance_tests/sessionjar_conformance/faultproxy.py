"""A loopback TCP proxy that puts network faults between a driver and its real server.

    from sessionjar_conformance.faultproxy import FaultProxy

    with FaultProxy(("127.0.0.1", 6379)) as proxy:
        host, port = proxy.address          # give the driver this address instead
        proxy.add_latency(0.2)              # hold every chunk 0.2 s, both ways
        proxy.black_hole()                  # swallow every byte; connections stay open
        proxy.reset_before_reply()          # forward the request, reset instead of replying
        proxy.reset_mid_reply()             # forward half of the reply, then reset
        proxy.heal()                        # back to pass-through
        assert proxy.resets == 2            # how many resets the proxy sent

The proxy listens on ``127.0.0.1`` only, on a free port per upstream server: give it
every node of a cluster (``FaultProxy(a, b, c)``) and map each node to
`FaultProxy.address_of` in the driver. It runs in daemon threads (two per connection, at
most ``max_connections`` connections at once) and `close` stops them all.

It knows nothing of the protocol it carries: a "request" is whatever the client sent,
a "reply" whatever the server sends back. ``reset_before_reply`` therefore resets the
client (TCP RST) when the server's next bytes arrive: the server has received, and
applied, the request, and the client never sees the answer. Arm it on an idle, already
connected store, or the reset hits the connection handshake instead. Both reset faults
apply to the next ``times`` replies (then the proxy passes through by itself), or to
every reply until `heal` with ``times=None``.

A connection that lost bytes in a black hole is reset when the proxy heals: its stream
is no longer whole, and the client must open a new one.
"""

from __future__ import annotations

import enum
import socket
import struct
import threading
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import Final

__all__ = ["Fault", "FaultProxy"]

Address = tuple[str, int]
_CHUNK: Final = 65536
_POLL: Final = 0.1  # seconds between checks of the stop flag while accepting
_RST: Final = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST, not FIN


class Fault(enum.Enum):
    """What the proxy does to the bytes it carries."""

    NONE = "pass-through"
    LATENCY = "added latency"
    BLACK_HOLE = "black hole"
    RESET_BEFORE_REPLY = "reset after forwarding the request, before the reply"
    RESET_MID_REPLY = "reset in the middle of the reply"


class _Link:
    """One proxied connection: the client's socket and the upstream server's."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.damaged = False

    def reset(self) -> None:
        """Reset the client's connection (RST) and close the upstream one."""
        with suppress(OSError):
            self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RST)
        self.close()

    def close(self) -> None:
        """Close both sockets, waking the threads blocked on them."""
        for sock in (self.client, self.upstream):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RD)
            sock.close()


class FaultProxy:
    """Forwards a free port of ``127.0.0.1`` to each upstream server, with faults on demand.

    Args:
        upstreams: the ``(host, port)`` of each server to stand in front of.
        max_connections: connections open at once; more are closed as soon as accepted.
    """

    def __init__(self, *upstreams: Address, max_connections: int = 64) -> None:
        if not upstreams:
            raise ValueError("FaultProxy needs at least one upstream (host, port)")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._links: set[_Link] = set()
        self._threads: list[threading.Thread] = []
        self._max_connections = max_connections
        self._fault = Fault.NONE
        self._delay = 0.0
        self._remaining: int | None = None
        self._resets = 0
        self._listeners: dict[Address, socket.socket] = {}
        for upstream in upstreams:
            listener = socket.create_server(("127.0.0.1", 0))
            listener.settimeout(_POLL)
            self._listeners[upstream] = listener
            self._spawn(self._accept, listener, upstream)

    @property
    def address(self) -> Address:
        """The ``(host, port)`` the proxy listens on for the first upstream."""
        return self.address_of(next(iter(self._listeners)))

    def address_of(self, upstream: Address) -> Address:
        """Return the ``(host, port)`` the proxy listens on for ``upstream``."""
        host, port = self._listeners[upstream].getsockname()[:2]
        return host, port

    @property
    def fault(self) -> Fault:
        """The fault in force now."""
        return self._fault

    @property
    def resets(self) -> int:
        """How many connections the reset faults have reset so far."""
        return self._resets

    def add_latency(self, seconds: float) -> None:
        """Hold every chunk ``seconds`` before forwarding it, in both directions."""
        if not 0 < seconds <= 60:
            raise ValueError("latency must be more than 0 and at most 60 seconds")
        self._set(Fault.LATENCY, delay=seconds)

    def black_hole(self) -> None:
        """Swallow every byte both ways, keeping the connections (and new ones) open."""
        self._set(Fault.BLACK_HOLE)

    def reset_before_reply(self, *, times: int | None = 1) -> None:
        """On the next ``times`` replies (all with `None`), reset the client instead."""
        self._set(Fault.RESET_BEFORE_REPLY, times=times)

    def reset_mid_reply(self, *, times: int | None = 1) -> None:
        """On the next ``times`` replies (all with `None`), forward half, then reset."""
        self._set(Fault.RESET_MID_REPLY, times=times)

    def heal(self) -> None:
        """Pass every byte through again; reset the connections a black hole damaged."""
        self._set(Fault.NONE)
        with self._lock:
            damaged = [link for link in self._links if link.damaged]
        for link in damaged:
            link.reset()

    def close(self) -> None:
        """Stop listening, close every connection and wait for the proxy's threads."""
        self._stopping.set()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()
        for thread in self._threads:
            thread.join(timeout=5)
        for listener in self._listeners.values():
            listener.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        ports = ",".join(str(self.address_of(up)[1]) for up in self._listeners)
        return f"<FaultProxy 127.0.0.1:{ports} {self._fault.value}>"

    def _set(self, fault: Fault, *, delay: float = 0.0, times: int | None = None) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for every reply")
        with self._lock:
            self._fault, self._delay, self._remaining = fault, delay, times

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name="faultproxy", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket, upstream: Address) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._open(client, upstream)

    def _open(self, client: socket.socket, upstream: Address) -> None:
        client.settimeout(None)
        with self._lock:
            full = len(self._links) >= self._max_connections
        try:
            if full:
                raise OSError("too many connections")
            server = socket.create_connection(upstream, timeout=5)
            server.settimeout(None)
        except OSError:
            client.close()
            return
        link = _Link(client, server)
        with self._lock:
            self._links.add(link)
        self._spawn(self._pump, link, client, server, False)
        self._spawn(self._pump, link, server, client, True)

    def _pump(self, link: _Link, source: socket.socket, sink: socket.socket, reply: bool) -> None:
        try:
            while data := source.recv(_CHUNK):
                if not self._forward(link, sink, data, reply):
                    return
        except OSError:
            pass
        finally:
            link.close()
            with self._lock:
                self._links.discard(link)

    def _forward(self, link: _Link, sink: socket.socket, data: bytes, reply: bool) -> bool:
        """Send ``data`` on as the fault in force says; return whether to go on."""
        fault, delay = self._take(reply)
        if fault is Fault.BLACK_HOLE:
            link.damaged = True
            return True
        if fault is Fault.LATENCY and self._stopping.wait(delay):
            return False
        if fault is Fault.RESET_MID_REPLY:
            sink.sendall(data[: len(data) // 2])
        if fault in (Fault.RESET_BEFORE_REPLY, Fault.RESET_MID_REPLY):
            link.reset()
            return False
        sink.sendall(data)
        return True

    def _take(self, reply: bool) -> tuple[Fault, float]:
        """Return the fault for a chunk, counting down the reset faults on replies."""
        with self._lock:
            fault = self._fault
            if fault in (Fault.RESET_BEFORE_REPLY, Fault.RESET_MID_REPLY):
                if not reply:
                    return Fault.NONE, 0.0
                self._resets += 1
                if self._remaining is not None:
                    self._remaining -= 1
                    if self._remaining == 0:
                        self._fault = Fault.NONE
            return fault, self._delay
