"""Servers of the example app for the browser test, in threads of the test process."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = [
    "ACCESS_VALIDITY",
    "MovableClock",
    "Served",
    "serve_fastapi",
    "serve_flask",
    "serve_django",
]

ACCESS_VALIDITY = timedelta(seconds=2)
"""Short, as the issue asks; the test moves the clock past it instead of sleeping."""


class MovableClock:
    """The real time plus an offset the test can grow: "waiting" without sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        now = datetime.now(UTC) + self.offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.offset += delta


class Served:
    """An example app served on 127.0.0.1 and the clock its manager reads."""

    def __init__(self, url: str, clock: MovableClock) -> None:
        self.url = url
        self.clock = clock


@contextmanager
def serve_fastapi(db: Path, clock: MovableClock) -> Iterator[str]:
    import uvicorn

    import sessionjar
    from examples.webapp.common import SESSION_LIMIT
    from examples.webapp.fastapi_app import create_app

    manager = sessionjar.AsyncSessionManager(
        sessionjar.open_async_store(f"sqlite:///{db}"),
        access_token_validity=ACCESS_VALIDITY,
        session_limit=SESSION_LIMIT,
        clock=clock,
    )
    config = uvicorn.Config(create_app(manager), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://localhost:{port}"
    server.should_exit = True
    thread.join(timeout=20)
    # the app leaves the manager to whoever made it; Playwright's sync API keeps an event
    # loop running in this thread, so the close runs on a loop of its own
    closer = threading.Thread(target=asyncio.run, args=(manager.close(),))
    closer.start()
    closer.join(timeout=20)


@contextmanager
def serve_flask(db: Path, clock: MovableClock) -> Iterator[str]:
    from werkzeug.serving import make_server

    import sessionjar
    from examples.webapp.common import SESSION_LIMIT
    from examples.webapp.flask_app import create_app

    manager = sessionjar.SessionManager(
        sessionjar.open_store(f"sqlite:///{db}"),
        access_token_validity=ACCESS_VALIDITY,
        session_limit=SESSION_LIMIT,
        clock=clock,
    )
    with manager:
        server = make_server("127.0.0.1", 0, create_app(manager), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://localhost:{server.server_port}"
        server.shutdown()
        thread.join(timeout=20)


@contextmanager
def serve_django(db: Path, clock: MovableClock) -> Iterator[str]:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    from examples.webapp.django_app import create_app, sessionjar_setting

    url = f"sqlite:///{db}"
    if settings.configured:  # Django configures once per process: swap the store only
        setting = sessionjar_setting(url, access_validity=ACCESS_VALIDITY, clock=clock)
        with override_settings(SESSIONJAR=setting):
            yield from _serve(WSGIHandler())
        return
    yield from _serve(create_app(url, access_validity=ACCESS_VALIDITY, clock=clock))


def _serve(app: Any) -> Iterator[str]:
    from examples.webapp.wsgi import server_for

    server = server_for(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=20)
