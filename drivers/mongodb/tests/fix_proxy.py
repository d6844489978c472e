"""A TCP proxy between the driver and the server that can cut connections on demand.

It puts real network failures between a store and a real server: with ``cutting`` set,
the proxy closes every connection on the next bytes the client sends, before they reach
the server — the command fails mid-flight and the server never sees it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fix_store_url import acknowledged
from pymongo.uri_parser import parse_uri

__all__ = ["Proxy", "proxy"]


class Proxy:
    """Forwards 127.0.0.1:``port`` to ``target``, one pair of threads per connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.cutting = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """Stop listening and close every connection."""
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                return
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink, request in ((client, upstream, True), (upstream, client, False)):
                pump = threading.Thread(target=self._pump, args=(source, sink, request))
                pump.daemon = True
                pump.start()

    def _pump(self, source: socket.socket, sink: socket.socket, request: bool) -> None:
        try:
            while data := source.recv(65536):
                if request and self.cutting:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            sock.close()


@pytest.fixture
def proxy(server_url: str, is_ferretdb: bool) -> Iterator[tuple[Proxy, str]]:
    """A proxy to the test server's first host, and a store URL that goes through it."""
    host, port = parse_uri(server_url)["nodelist"][0]
    parts = urlsplit(server_url)
    userinfo = parts.netloc.rpartition("@")[0]
    running = Proxy((host, port))
    url = (
        f"mongodb://{userinfo + '@' if userinfo else ''}127.0.0.1:{running.port}{parts.path}"
        "?directConnection=true&timeoutMS=1000"
    )
    url = acknowledged(url, is_ferretdb)
    yield running, url
    running.close()
