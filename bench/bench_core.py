"""Benchmark of the session core, as ratios against baselines measured in the same run.

    python bench/bench_core.py [--quick]

1. Verifying an access token with ``get_session`` (no storage I/O) against a raw
   ``jwt.decode`` of the same token with the same key, per algorithm (target <= 1.2x).
2. ``create_session``, ``refresh_session`` and ``get_session(check_database=True)`` on a
   temporary SQLite file, against an in-memory store.

Times are the best of several repeats (timeit-style): absolute numbers are noisy, the
ratios much less so.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt

from sessionjar import (
    AsyncSessionManager,
    SessionManager,
    SigningKey,
    open_async_store,
    open_store,
)

ALGORITHMS = ("EdDSA", "ES256", "RS256", "HS256")


def best(func: Callable[[], object], number: int, repeat: int) -> float:
    """Return the best time of one call, in seconds, over ``repeat`` runs of ``number``."""
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number


def best_pair(
    baseline: Callable[[], object], candidate: Callable[[], object], number: int, repeat: int
) -> tuple[float, float]:
    """Return the best times of two calls, timed in alternation so that load hits both."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for func, found in zip((baseline, candidate), times, strict=True):
            found.append(timeit.timeit(func, number=number))
    return min(times[0]) / number, min(times[1]) / number


@contextmanager
def sqlite_url() -> Iterator[str]:
    """Yield the URL of a SQLite file in a temporary directory."""
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def verify_rows(number: int, repeat: int) -> list[tuple[str, float, float]]:
    """Time get_session against jwt.decode for each algorithm."""
    rows = []
    for algorithm in ALGORITHMS:
        key = SigningKey.generate(algorithm, kid=f"bench-{algorithm}")
        with SessionManager(open_store("memory://"), keys=[key]) as manager:
            token = manager.create_session("alice", access_payload={"role": "user"}).access_token

            def raw(token: str = token, key: SigningKey = key) -> object:
                return jwt.decode(token, key.verifier, algorithms=[key.algorithm])

            def ours(token: str = token, manager: SessionManager = manager) -> object:
                return manager.get_session(token)

            raw()
            ours()
            rows.append((algorithm, *best_pair(raw, ours, number, repeat)))
    return rows


def async_verify_row(number: int, repeat: int) -> tuple[float, float]:
    """Time the async get_session (awaited in a loop) against jwt.decode, EdDSA."""
    key = SigningKey.generate("EdDSA", kid="bench")

    async def run() -> tuple[float, float]:
        async with AsyncSessionManager(open_async_store("memory://"), keys=[key]) as manager:
            token = (await manager.create_session("alice")).access_token
            loop = asyncio.get_running_loop()
            raw_times, our_times = [], []
            for _ in range(repeat):
                start = loop.time()
                for _ in range(number):
                    jwt.decode(token, key.verifier, algorithms=["EdDSA"])
                raw_times.append(loop.time() - start)
                start = loop.time()
                for _ in range(number):
                    await manager.get_session(token)
                our_times.append(loop.time() - start)
            return min(raw_times) / number, min(our_times) / number

    return asyncio.run(run())


def store_rows(url: str, number: int, repeat: int) -> dict[str, float]:
    """Time create, refresh and a database-checked get on the store at ``url``."""
    with SessionManager(open_store(url)) as manager:
        session = manager.create_session("alice", access_payload={"role": "user"})
        refresh_token = session.refresh_token
        assert refresh_token is not None

        def create() -> object:
            return manager.create_session("alice", session_data={"cart": [1, 2, 3]})

        def refresh() -> object:
            nonlocal refresh_token
            refreshed = manager.refresh_session(refresh_token)  # type: ignore[arg-type]
            refresh_token = refreshed.refresh_token
            return refreshed

        def checked() -> object:
            return manager.get_session(session.access_token, check_database=True)

        return {
            "create_session": best(create, number, repeat),
            "refresh_session": best(refresh, number, repeat),
            "get_session(check_database=True)": best(checked, number, repeat),
        }


def main() -> None:
    """Run every benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    args = parser.parse_args()
    number, repeat = (200, 3) if args.quick else (500, 15)

    print("Verify an access token: get_session (no storage I/O) vs raw jwt.decode")
    print(f"{'algorithm':<10} {'jwt.decode':>12} {'get_session':>12} {'ratio':>7}")
    for algorithm, raw, ours in verify_rows(number, repeat):
        print(f"{algorithm:<10} {raw * 1e6:>10.1f}us {ours * 1e6:>10.1f}us {ours / raw:>6.2f}x")
    raw, ours = async_verify_row(number, repeat)
    label = "EdDSA/async"
    print(f"{label:<10} {raw * 1e6:>10.1f}us {ours * 1e6:>10.1f}us {ours / raw:>6.2f}x")
    print("target: ratio <= 1.2x\n")

    store_number = max(number // 10, 20)
    memory = store_rows("memory://", store_number, repeat)
    with sqlite_url() as url:
        sqlite = store_rows(url, store_number, repeat)
    print("Storage paths (sync API, EdDSA automatic keys): sqlite file vs memory://")
    print(f"{'operation':<34} {'memory://':>11} {'sqlite':>11} {'ratio':>7}")
    for name, on_sqlite in sqlite.items():
        on_memory = memory[name]
        print(
            f"{name:<34} {on_memory * 1e6:>9.1f}us {on_sqlite * 1e6:>9.1f}us "
            f"{on_sqlite / on_memory:>6.1f}x"
        )


if __name__ == "__main__":
    main()
