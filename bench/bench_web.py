"""Benchmark of the web layers against a plain route and their peers, in one run.

    python -m bench.bench_web [--quick] [--no-servers]     # from the repository root
                              # Redis: $SESSIONJAR_REDIS_URL or redis://127.0.0.1:6379/0

1. In process: each contender of `web_apps` (plain route, sessionjar on sqlite and on
   Redis, with and without ``check_database``, the Redis-backed peer, the framework's
   signed-cookie session) answers ``GET /me`` with a signed-in cookie (a cookie of the
   same size, `SITE_COOKIE`, where sign-in sets none), called straight through WSGI
   (Flask) or ASGI (FastAPI), with no client or socket in between. Every round runs each
   contender for CALLS requests, one after the other, so all see the same load; a ratio
   is the median over the rounds of the ratio within each round (p25-p75 of those ratios
   beside it), for wall time and for CPU time of this process (Redis's own CPU is not in
   it). Targets: sessionjar <= 1.3x plain; Flask >= 3x and FastAPI >= 2.5x the peer's
   throughput.
2. Real servers: gunicorn (sync worker) and uvicorn, one worker each, on loopback, under
   ``wrk`` (Debian; ``bench/install_wrk.sh``): requests/s, p50 and p99 latency of each
   contender, rounds alternating between them. Target: >= 2.5x the peer's requests/s.

Each run uses a fresh sqlite file and a unique Redis namespace and key prefix, deleted
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench import web_apps

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("SESSIONJAR_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER_KINDS = ("plain", "sessionjar", "sessionjar-redis", "peer", "signed-cookie")
TARGET_VS_PLAIN = 1.3
TARGET_VS_PEER = {"Flask": 3.0, "FastAPI": 2.5, "server": 2.5}


@dataclass(frozen=True)
class Settings:
    """How long the run is."""

    rounds: int
    calls: int
    server_rounds: int
    server_seconds: int


FULL = Settings(rounds=21, calls=200, server_rounds=3, server_seconds=4)
QUICK = Settings(rounds=5, calls=50, server_rounds=1, server_seconds=2)


@dataclass(frozen=True)
class Env:
    """Where the apps keep their sessions."""

    namespace: str
    sqlite: str
    redis: str


# --- statistics -------------------------------------------------------------------------


def median_ratio(ours: list[float], theirs: list[float]) -> tuple[float, float, float]:
    """Return the median, p25 and p75 of the per-round ratios ``ours / theirs``."""
    ratios = sorted(a / b for a, b in zip(ours, theirs, strict=True))
    if len(ratios) < 4:
        return statistics.median(ratios), ratios[0], ratios[-1]
    q1, _, q3 = statistics.quantiles(ratios, n=4)
    return statistics.median(ratios), q1, q3


def spread(value: tuple[float, float, float]) -> str:
    """Format a median ratio with its p25-p75 range."""
    return f"{value[0]:.2f}x ({value[1]:.2f}-{value[2]:.2f})"


@dataclass
class Times:
    """Per-round wall and CPU time of one request of one contender, in seconds."""

    wall: list[float]
    cpu: list[float]


# --- in process: Flask through WSGI ---------------------------------------------------


SITE_COOKIE = "site=" + "x" * 360  # as long as our access cookie
"""What a browser sends a contender whose sign-in set no cookie (plain route, do-nothing
dependency): a signed-in browser sends the site's cookies to every route, and a
framework that parses every request's cookies (FastAPI does) must pay for them in the
baseline too, not only in the protected route."""


def cookie_header(set_cookies: list[str], path: str = "/me") -> str:
    """Return the Cookie header a browser sends to ``path`` after these Set-Cookie headers.

    A cookie goes only to the paths within its ``Path`` (RFC 6265 §5.1.4): sessionjar's
    refresh cookie goes to the refresh route alone, never to ``/me``.
    """
    pairs = []
    for header in set_cookies:
        pair, *attributes = (part.strip() for part in header.split(";"))
        scope = next((a[5:] for a in attributes if a.lower().startswith("path=")), "/")
        if not pair.endswith("=") and _path_matches(path, scope):
            pairs.append(pair)
    return "; ".join(pairs) or SITE_COOKIE


def _path_matches(path: str, scope: str) -> bool:
    return path == scope or path.startswith(scope if scope.endswith("/") else f"{scope}/")


def wsgi_caller(app: Any) -> Callable[[], object]:
    """Sign in through the test client; return a call of ``GET /me`` straight into WSGI."""
    from werkzeug.test import EnvironBuilder

    client = app.test_client()
    signed_in = client.post("/signin", base_url="https://bench.example")
    cookie = cookie_header(signed_in.headers.getlist("Set-Cookie"))
    builder = EnvironBuilder(path="/me", base_url="https://bench.example")
    builder.headers["Cookie"] = cookie
    environ = builder.get_environ()

    def start_response(status: str, headers: object, exc_info: object = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"GET /me answered {status}")

    def call() -> object:
        body = app(dict(environ), start_response)
        try:
            return b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()

    call()
    return call


def time_sync(call: Callable[[], object], calls: int) -> tuple[float, float]:
    """Return the wall and CPU time of one call, over ``calls`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def flask_rounds(env: Env, settings: Settings) -> dict[str, Times]:
    """Time every Flask contender, round after round."""
    callers = {
        kind: wsgi_caller(web_apps.flask_app(kind, env.namespace, env.sqlite, env.redis))
        for kind in web_apps.FLASK_KINDS
    }
    found = {kind: Times([], []) for kind in callers}
    for _ in range(settings.rounds):
        for kind, call in callers.items():
            wall, cpu = time_sync(call, settings.calls)
            found[kind].wall.append(wall)
            found[kind].cpu.append(cpu)
    return found


# --- in process: FastAPI through ASGI -------------------------------------------------


def asgi_scope(method: str, path: str, cookie: str) -> dict[str, Any]:
    """Return the ASGI scope of a request over https."""
    headers = [(b"host", b"bench.example")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench.example", 443),
    }


async def asgi_call(app: Any, scope: dict[str, Any]) -> tuple[int, list[str]]:
    """Run one request through ``app``; return its status and Set-Cookie headers."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(dict(scope), receive, send)
    start = sent[0]
    cookies = [v.decode() for k, v in start["headers"] if k.lower() == b"set-cookie"]
    return start["status"], cookies


async def asgi_caller(app: Any) -> Callable[[], Awaitable[object]]:
    """Sign in; return a call of ``GET /me`` straight into ASGI."""
    _, set_cookies = await asgi_call(app, asgi_scope("POST", "/signin", ""))
    scope = asgi_scope("GET", "/me", cookie_header(set_cookies))

    async def call() -> object:
        status, _ = await asgi_call(app, scope)
        if status != 200:
            raise RuntimeError(f"GET /me answered {status}")
        return status

    await call()
    return call


async def time_async(call: Callable[[], Awaitable[object]], calls: int) -> tuple[float, float]:
    """Return the wall and CPU time of one awaited call, over ``calls`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


async def fastapi_rounds(env: Env, settings: Settings) -> dict[str, Times]:
    """Time every FastAPI contender, round after round, in one event loop."""
    callers = {}
    for kind in web_apps.FASTAPI_KINDS:
        app = web_apps.fastapi_app(kind, env.namespace, env.sqlite, env.redis)
        callers[kind] = await asgi_caller(app)
    found = {kind: Times([], []) for kind in callers}
    for _ in range(settings.rounds):
        for kind, call in callers.items():
            wall, cpu = await time_async(call, settings.calls)
            found[kind].wall.append(wall)
            found[kind].cpu.append(cpu)
    return found


def in_process_table(framework: str, found: dict[str, Times]) -> list[str]:
    """Return the Markdown table of one framework's in-process contenders."""
    plain, peer = found["plain"], found["peer"]
    lines = [
        f"| {framework} | µs/request (wall) | x plain (wall) | x plain (CPU) "
        "| peer ÷ this (wall) | peer ÷ this (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for kind, times in found.items():
        row = [
            kind,
            f"{statistics.median(times.wall) * 1e6:.0f}",
            spread(median_ratio(times.wall, plain.wall)),
            spread(median_ratio(times.cpu, plain.cpu)),
            spread(median_ratio(peer.wall, times.wall)),
            spread(median_ratio(peer.cpu, times.cpu)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def in_process_verdicts(framework: str, found: dict[str, Times]) -> list[str]:
    """Return the targets of the in-process run, met or missed."""
    ours, plain, peer = found["sessionjar"], found["plain"], found["peer"]
    vs_plain = median_ratio(ours.wall, plain.wall)[0]
    vs_peer = median_ratio(peer.wall, ours.wall)[0]
    target = TARGET_VS_PEER[framework]
    return [
        f"- {framework}: protected route {vs_plain:.2f}x plain (target <= "
        f"{TARGET_VS_PLAIN}x: {'met' if vs_plain <= TARGET_VS_PLAIN else 'MISSED'}); "
        f"{vs_peer:.2f}x the peer's throughput (target >= {target}x: "
        f"{'met' if vs_peer >= target else 'MISSED'})",
    ]


# --- real servers ---------------------------------------------------------------------


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_command(server: str, port: int) -> list[str]:
    """Return the command that serves the environment's app with one worker."""
    if server == "gunicorn":
        return [
            sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "sync",
            "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning",
            "bench.web_apps:flask_from_env()",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn", "--factory", "bench.web_apps:fastapi_from_env",
        "--app-dir", str(ROOT), "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


@contextmanager
def served(server: str, kind: str, env: Env) -> Iterator[str]:
    """Run one server of contender ``kind``; yield its base URL; stop it."""
    port = free_port()
    variables = {
        **os.environ,
        "BENCH_KIND": kind,
        "BENCH_NS": env.namespace,
        "BENCH_SQLITE": env.sqlite,
        "BENCH_REDIS": env.redis,
    }
    process = subprocess.Popen(server_command(server, port), env=variables)  # noqa: S603
    try:
        wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until the server listens on ``port``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("the server did not start listening in 30 s")


def sign_in(base: str) -> str:
    """Sign in over HTTP; return the Cookie header that proves it."""
    request = urllib.request.Request(f"{base}/signin", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return cookie_header(response.headers.get_all("Set-Cookie") or [])


@dataclass
class Load:
    """What wrk measured in one run."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(url: str, cookie: str, seconds: int) -> Load:
    """Load ``url`` with wrk (one thread, 8 connections) for ``seconds``."""
    command = ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = int(non_2xx[1]) if non_2xx else 0
    if socket_errors and "timeout" in socket_errors[1]:
        errors += int(re.findall(r"timeout (\d+)", socket_errors[1])[0])
    return Load(
        rps=float(re.findall(r"Requests/sec:\s+([\d.]+)", out)[0]),
        p50_ms=_ms(latency["50"]),
        p99_ms=_ms(latency["99"]),
        errors=errors,
    )


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def server_rounds(server: str, env: Env, settings: Settings) -> dict[str, list[Load]]:
    """Load every contender's server in turn, round after round."""
    found: dict[str, list[Load]] = {kind: [] for kind in SERVER_KINDS}
    with ExitStack() as stack:
        targets = {}
        for kind in SERVER_KINDS:
            base = stack.enter_context(served(server, kind, env))
            targets[kind] = (f"{base}/me", sign_in(base))
        for _ in range(settings.server_rounds):
            for kind, (url, cookie) in targets.items():
                found[kind].append(run_wrk(url, cookie, settings.server_seconds))
    return found


def server_table(server: str, found: dict[str, list[Load]]) -> list[str]:
    """Return the Markdown table of one server's contenders."""
    peer = [load.rps for load in found["peer"]]
    lines = [
        f"| {server} | requests/s | p50 ms | p99 ms | this ÷ peer (req/s) | errors |",
        "|---|---|---|---|---|---|",
    ]
    for kind, loads in found.items():
        rps = [load.rps for load in loads]
        row = [
            kind,
            f"{statistics.median(rps):.0f}",
            f"{statistics.median(load.p50_ms for load in loads):.2f}",
            f"{statistics.median(load.p99_ms for load in loads):.2f}",
            spread(median_ratio(rps, peer)),
            str(sum(load.errors for load in loads)),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


# --- the run --------------------------------------------------------------------------


@contextmanager
def environment() -> Iterator[Env]:
    """Yield a fresh sqlite file and a unique Redis namespace; delete both afterwards."""
    namespace = f"benchweb{secrets.token_hex(4)}"
    with tempfile.TemporaryDirectory() as folder:
        try:
            yield Env(namespace, str(Path(folder) / "bench.db"), REDIS_URL)
        finally:
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"*{namespace}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()


def main() -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few short rounds")
    parser.add_argument("--no-servers", action="store_true", help="in process only")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    print(f"# Web benchmark ({settings})\n")
    with environment() as env:
        flask = flask_rounds(env, settings)
        fastapi = asyncio.run(fastapi_rounds(env, settings))
        print("\n".join(in_process_table("Flask", flask)), end="\n\n")
        print("\n".join(in_process_table("FastAPI", fastapi)), end="\n\n")
        print("\n".join(in_process_verdicts("Flask", flask)))
        print("\n".join(in_process_verdicts("FastAPI", fastapi)), end="\n\n")
        if args.no_servers or shutil.which("wrk") is None:
            print("(real servers skipped: --no-servers, or wrk is missing)")
            return
        for server in ("gunicorn", "uvicorn"):
            found = server_rounds(server, env, settings)
            print("\n".join(server_table(server, found)), end="\n\n")
            ours = [load.rps for load in found["sessionjar"]]
            vs_peer = median_ratio(ours, [load.rps for load in found["peer"]])[0]
            target = TARGET_VS_PEER["server"]
            print(
                f"- {server}: sessionjar {vs_peer:.2f}x the peer's requests/s "
                f"(target >= {target}x: {'met' if vs_peer >= target else 'MISSED'})\n"
            )


if __name__ == "__main__":
    main()
