"""A small threaded WSGI server from the standard library, for the Django flavour."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import WSGIApplication

__all__ = ["ThreadingWSGIServer", "QuietHandler", "server_for", "serve_forever"]


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """`WSGIServer` answering each request in its own thread (the page fetches in parallel)."""

    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """Logs nothing per request."""

    def log_message(self, format: str, *args: object) -> None:
        """Drop the access log line."""


def server_for(app: WSGIApplication, host: str, port: int) -> ThreadingWSGIServer:
    """Return a threaded server of ``app`` bound to ``host:port`` (0: any free port)."""
    server = make_server(host, port, app, ThreadingWSGIServer, QuietHandler)
    assert isinstance(server, ThreadingWSGIServer)
    return server


def serve_forever(app: WSGIApplication, host: str, port: int) -> None:
    """Serve ``app`` until interrupted."""
    with server_for(app, host, port) as server:
        server.serve_forever()
