"""Benchmark of the Django layer beside Django's own sessions, as ratios in one run.

    python -m bench.bench_django [--quick]     # from the repository root

Each contender is a GET through Django's whole WSGI handler (middleware, URL resolution,
view, response), called in-process with a prepared environ; rounds alternate the
contenders, and each ratio is the median of the per-round ratios, with its spread
(min-max), in wall time and in CPU time. The baseline is a plain view in the same
handler. Contenders:

- ``sessionjar``: ``@verify_session()``, the browser's repeat access token (no I/O);
- ``sessionjar db``: ``@verify_session(check_database=True)`` on Redis (one read);
- ``django db``: ``django.contrib.sessions`` with the database backend (sqlite);
- ``django cache``: ``django.contrib.sessions`` with the cache backend on Redis.

Every session view reads the user id; Django's read it from ``request.session``.
"""

from __future__ import annotations

import io
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import django
import redis
from django.conf import settings

REDIS_URL = os.environ.get("SESSIONJAR_REDIS_URL", "redis://127.0.0.1:6379/0")
QUICK = "--quick" in sys.argv
ROUNDS = 5 if QUICK else 15
CALLS = 200 if QUICK else 1000
PREFIX = f"bench_{secrets.token_hex(4)}"

Call = Callable[[], object]


def configure(db: Path) -> None:
    """Configure Django once: both session layers installed, sessions read only on use."""
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS=["bench"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.sessions", "sessionjar.django"],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "sessionjar.django.middleware.SessionMiddleware",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)}},
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": PREFIX,
            }
        },
        SESSIONJAR={"STORE_URL": REDIS_URL, "NAMESPACE": PREFIX},
        USE_TZ=True,
    )
    django.setup()


def _views() -> list[Any]:
    from django.http import HttpRequest, HttpResponse
    from django.urls import path

    from sessionjar.django import get_session, verify_session

    def plain(request: HttpRequest) -> HttpResponse:
        return HttpResponse("alice")

    @verify_session()
    def ours(request: HttpRequest) -> HttpResponse:
        return HttpResponse(get_session(request).get_user_id())

    @verify_session(check_database=True)
    def ours_db(request: HttpRequest) -> HttpResponse:
        return HttpResponse(get_session(request).get_user_id())

    def theirs(request: HttpRequest) -> HttpResponse:
        return HttpResponse(request.session["user"])

    return [
        path("plain", plain),
        path("ours", ours),
        path("ours-db", ours_db),
        path("theirs", theirs),
    ]


def __getattr__(name: str) -> Any:
    # the URLconf is this module: its patterns are built once Django is set up
    if name == "urlpatterns":
        return _views()
    raise AttributeError(name)


def caller(handler: Any, path: str, cookie: str = "") -> Call:
    """Return a call of ``handler`` for ``GET path`` with ``cookie``, checked once."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "bench",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "HTTP_COOKIE": cookie,
    }
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    def call() -> object:
        response = handler(dict(environ), start_response)
        body = b"".join(response)
        response.close()
        return body

    body = call()
    if statuses[0] != "200 OK" or body != b"alice":
        raise RuntimeError(f"{path}: {statuses[0]} {body!r}")
    return call


def timed(call: Call) -> tuple[float, float]:
    """Return the wall and CPU time of one call over ``CALLS`` calls, in seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(CALLS):
        call()
    return (time.perf_counter() - wall) / CALLS, (time.process_time() - cpu) / CALLS


def contenders() -> Iterator[tuple[str, Call]]:
    """Yield each contender's name and call; the plain view first."""
    from django.contrib.sessions.backends.cache import SessionStore as CacheSession
    from django.contrib.sessions.backends.db import SessionStore as DbSession
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import override_settings

    from sessionjar.django._runtime import runtime

    call_command("migrate", "sessions", verbosity=0)
    db_handler = WSGIHandler()
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache"):
        cache_handler = WSGIHandler()  # its middleware binds the cache engine now
    token = runtime().manager.create_session("alice").access_token
    keys = []
    for store in (DbSession(), CacheSession()):
        store["user"] = "alice"
        store.save()
        keys.append(store.session_key)
    yield "plain", caller(db_handler, "/plain")
    yield "sessionjar", caller(db_handler, "/ours", f"sAccessToken={token}")
    yield "sessionjar db", caller(db_handler, "/ours-db", f"sAccessToken={token}")
    yield "django db", caller(db_handler, "/theirs", f"sessionid={keys[0]}")
    yield "django cache", caller(cache_handler, "/theirs", f"sessionid={keys[1]}")


def spread(values: list[float]) -> str:
    """Return the median and the min-max of per-round ratios."""
    return f"{statistics.median(values):5.2f}x ({min(values):.2f}-{max(values):.2f})"


def report(names: list[str], walls: list[list[float]], cpus: list[list[float]]) -> None:
    """Print each contender against the plain view, and sessionjar against Django's."""
    print(f"\nDjango {django.get_version()}: {ROUNDS} alternating rounds of {CALLS} GETs")
    print(f"{'contender':<14} {'per request':>12} {'vs plain (wall)':>22} {'vs plain (CPU)':>22}")
    for index, name in enumerate(names):
        wall = [w / p for w, p in zip(walls[index], walls[0], strict=True)]
        cpu = [c / p for c, p in zip(cpus[index], cpus[0], strict=True)]
        mean = statistics.median(walls[index]) * 1e6
        print(f"{name:<14} {mean:>10.1f}us {spread(wall):>22} {spread(cpu):>22}")
    print("\nthroughput of sessionjar against Django's sessions (their time / ours):")
    for ours, theirs in ((1, 3), (1, 4), (2, 4)):
        wall = [t / o for t, o in zip(walls[theirs], walls[ours], strict=True)]
        cpu = [t / o for t, o in zip(cpus[theirs], cpus[ours], strict=True)]
        print(f"{names[ours]:>13} vs {names[theirs]:<13} wall {spread(wall)}  CPU {spread(cpu)}")


@contextmanager
def redis_cleanup() -> Iterator[None]:
    """Delete this run's keys (sessionjar's namespace, the cache prefix) afterwards."""
    raw = redis.Redis.from_url(REDIS_URL)
    try:
        yield
    finally:
        for pattern in (f"{{{PREFIX}*", f"{PREFIX}:*"):
            for key in raw.scan_iter(match=pattern):
                raw.delete(key)
        raw.close()


def main() -> int:
    """Run the benchmark if Redis answers."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        print(f"bench_django: skipped, no Redis at {REDIS_URL} ({exc})")
        return 0
    with tempfile.TemporaryDirectory() as folder, redis_cleanup():
        configure(Path(folder) / "django.db")
        names, calls = zip(*contenders(), strict=True)
        walls: list[list[float]] = [[] for _ in calls]
        cpus: list[list[float]] = [[] for _ in calls]
        for _ in range(ROUNDS):
            for call, wall, cpu in zip(calls, walls, cpus, strict=True):
                w, c = timed(call)
                wall.append(w)
                cpu.append(c)
        report(list(names), walls, cpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
