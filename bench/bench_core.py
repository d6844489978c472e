"""Benchmark of the session core, as ratios against baselines measured in the same run.

    python bench/bench_core.py [--quick]

1. Verifying an access token with ``get_session`` (no storage I/O) against
   ``jwt.decode`` with the same key, per algorithm: a repeat token (served by the
   verified-token cache; target >= 10x faster than ``jwt.decode`` of the same token)
   and a token seen for the first time (target <= 1.1x ``jwt.decode``). Alternating
   rounds, the median of per-round ratios with their spread, wall and CPU time.
2. ``create_session``, ``refresh_session`` and ``get_session(check_database=True)`` on a
   temporary SQLite file, against an in-memory store.

Storage times are the best of several repeats (timeit-style): absolute numbers are
noisy, the ratios much less so.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt

from sessionjar import SessionManager, SigningKey, open_store

ALGORITHMS = ("EdDSA", "ES256", "RS256", "HS256")


def best(func: Callable[[], object], number: int, repeat: int) -> float:
    """Return the best time of one call, in seconds, over ``repeat`` runs of ``number``."""
    return min(timeit.repeat(func, number=number, repeat=repeat)) / number


@contextmanager
def sqlite_url() -> Iterator[str]:
    """Yield the URL of a SQLite file in a temporary directory."""
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def timed(batch: Callable[[], object]) -> tuple[float, float]:
    """Return the wall time and the CPU time of one call of ``batch``, in seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    batch()
    return time.perf_counter() - wall, time.process_time() - cpu


def alternate(
    batches: dict[str, Callable[[], object]], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """Time every batch once per round, rotating their order from round to round."""
    names = list(batches)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for batch in batches.values():
        batch()  # warm-up
    for number in range(rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            times[name].append(timed(batches[name]))
    return times


def spread(ratios: list[float]) -> str:
    """Return the median of per-round ratios, with the middle half and the extremes."""
    ratios = sorted(ratios)
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return (
        f"{statistics.median(ratios):6.2f}x "
        f"[IQR {quartiles[0]:.2f}-{quartiles[2]:.2f}, {ratios[0]:.2f}-{ratios[-1]:.2f}]"
    )


def ratios(
    times: dict[str, list[tuple[float, float]]], top: str, bottom: str, clock: int
) -> list[float]:
    """Return the per-round ratios ``top / bottom`` of wall (0) or CPU (1) time."""
    return [t[clock] / b[clock] for t, b in zip(times[top], times[bottom], strict=True)]


def verify_batches(
    algorithm: str, number: int, pool: int
) -> tuple[dict[str, Callable[[], object]], Callable[[], None]]:
    """Return the batches of the verify benchmark for ``algorithm``, and a closer.

    ``decode``: `jwt.decode` of the one repeated token; ``repeat``: `get_session` of it
    (a cache hit); ``decode-pool``: `jwt.decode` cycling through ``pool`` distinct tokens;
    ``first-sight``: `get_session` cycling through them with a cache of ``pool // 4``
    entries, so that every call misses, verifies in full and evicts an entry.
    """
    key = SigningKey.generate(algorithm, kid=f"bench-{algorithm}")
    store = open_store("memory://")
    repeat = SessionManager(store, keys=[key])
    first = SessionManager(store, keys=[key], token_cache_size=pool // 4)
    tokens = [
        repeat.create_session(f"user-{n}", access_payload={"role": "user"}).access_token
        for n in range(pool)
    ]
    cycle = [tokens[n % pool] for n in range(number)]
    one, verifier, algorithms = tokens[0], key.verifier, [key.algorithm]

    def decode() -> None:
        for _ in range(number):
            jwt.decode(one, verifier, algorithms=algorithms)

    def hit() -> None:
        for _ in range(number):
            repeat.get_session(one)

    def decode_pool() -> None:
        for token in cycle:
            jwt.decode(token, verifier, algorithms=algorithms)

    def first_sight() -> None:
        for token in cycle:
            first.get_session(token)

    batches: dict[str, Callable[[], object]] = {
        "decode": decode, "repeat": hit, "decode-pool": decode_pool, "first": first_sight
    }  # fmt: skip
    return batches, store.close


def verify_report(number: int, rounds: int) -> None:
    """Print the repeat-token and first-sight verify ratios against jwt.decode."""
    print(
        "Verify an access token, sync get_session (no storage I/O) vs jwt.decode;\n"
        f"{rounds} alternating rounds of {number} calls; median of per-round ratios "
        "[interquartile range, min-max]"
    )
    header = f"{'algorithm':<9} {'clock':<5} {'decode':>8} {'repeat':>8} {'first':>8}"
    print(f"{header}  {'decode/repeat (>= 10x)':<36} first/decode (<= 1.1x)")
    for algorithm in ALGORITHMS:
        batches, close = verify_batches(algorithm, number, pool=256)
        times = alternate(batches, rounds)
        close()
        for clock, label in ((0, "wall"), (1, "cpu")):
            each = {name: statistics.median(t[clock] for t in found) / number * 1e6
                    for name, found in times.items()}  # fmt: skip
            speedup = spread(ratios(times, "decode", "repeat", clock))
            slowdown = spread(ratios(times, "first", "decode-pool", clock))
            print(
                f"{algorithm:<9} {label:<5} {each['decode']:>6.1f}us {each['repeat']:>6.2f}us "
                f"{each['first']:>6.1f}us  {speedup:<36} {slowdown}"
            )
    print()


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
    rounds = 5 if args.quick else 21

    verify_report(number, rounds)

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
