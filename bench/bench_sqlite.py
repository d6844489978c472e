"""Benchmark of the embedded ``sqlite://`` store through the session manager.

    python bench/bench_sqlite.py [--quick]

1. Per operation (create, refresh, update data, revoke, checked verify): the default
   ``sqlite://`` (WAL, ``synchronous=NORMAL``) and ``?synchronous=full``, against the
   ``memory://`` store as the baseline measured in the same rounds. Rounds alternate
   the three stores; each row gives the median time per call, the median of per-round
   ratios with their spread (min-max), wall time and CPU time. Targets: default
   create, refresh, update and revoke each <= 0.5 ms.
2. 20,000 creates then 20,000 checked verifies on one fresh default file, beside the
   same run on memory://; target under 15 s in all.

Absolute times are noisy on a shared machine; the ratios to memory:// much less so.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from sessionjar import JSONObject, SessionManager, SigningKey, open_store

STORES = ("memory://", "sqlite://", "sqlite://?synchronous=full")
OPERATIONS = ("create", "refresh", "update data", "revoke", "checked verify")
KEY = SigningKey.generate("EdDSA", kid="bench")


@dataclass
class Timing:
    """Per-call wall and CPU times of one operation on one store, one value per round."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def timed(calls: list[Callable[[], object]]) -> tuple[float, float]:
    """Run the calls; return wall and CPU seconds per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for call in calls:
        call()
    count = len(calls)
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def round_calls(manager: SessionManager, number: int) -> dict[str, list[Callable[[], object]]]:
    """Prepare ``number`` calls of each operation on fresh sessions (untimed set-up)."""
    sessions = [manager.create_session(f"u{n}", session_data={"n": n}) for n in range(number)]
    refresh_tokens = [manager.create_session(f"r{n}").refresh_token or "" for n in range(number)]
    token = manager.create_session("verified").access_token
    data: JSONObject = {"cart": [1, 2, 3]}
    return {
        "create": [
            partial(manager.create_session, f"c{n}", session_data=data) for n in range(number)
        ],
        "refresh": [partial(manager.refresh_session, t) for t in refresh_tokens],
        "update data": [partial(manager.update_session_data, s.handle, data) for s in sessions],
        "revoke": [partial(manager.revoke_session, s.handle) for s in sessions],
        "checked verify": [partial(manager.get_session, token, check_database=True)] * number,
    }


def store_url(store: str, folder: Path, round_: int) -> str:
    """Return the URL of ``store`` for one round: a new backend or file each time."""
    if store.startswith("memory"):
        return f"memory://bench-{round_}"
    query = store.partition("?")[2]
    return f"sqlite:///{folder / f'{round_}-{len(query)}.db'}" + (f"?{query}" if query else "")


def measure(number: int, rounds: int) -> dict[str, dict[str, Timing]]:
    """Time every operation on every store, alternating the stores within each round."""
    results = {store: {op: Timing() for op in OPERATIONS} for store in STORES}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(rounds):
            for store in STORES:
                url = store_url(store, Path(folder), round_)
                with SessionManager(open_store(url), keys=[KEY]) as manager:
                    for op, calls in round_calls(manager, number).items():
                        wall, cpu = timed(calls)
                        results[store][op].wall.append(wall)
                        results[store][op].cpu.append(cpu)
    return results


def ratios(candidate: list[float], baseline: list[float]) -> tuple[float, float, float]:
    """Median, min and max of the per-round ratios."""
    per_round = [c / b for c, b in zip(candidate, baseline, strict=True)]
    return statistics.median(per_round), min(per_round), max(per_round)


def bulk(url: str, count: int) -> tuple[float, float]:
    """Create ``count`` sessions then verify each with check_database; wall, CPU seconds."""
    with SessionManager(open_store(url), keys=[KEY]) as manager:
        wall, cpu = time.perf_counter(), time.process_time()
        tokens = [manager.create_session(f"u{n}").access_token for n in range(count)]
        for token in tokens:
            manager.get_session(token, check_database=True)
        return time.perf_counter() - wall, time.process_time() - cpu


@contextmanager
def sqlite_file() -> Iterator[str]:
    """Yield the URL of a default sqlite:// file in a temporary directory."""
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bulk.db'}"


def report_bulk(count: int) -> None:
    """Print the bulk run on sqlite:// beside the same run on memory://, run just before."""
    memory = bulk("memory://", count)
    with sqlite_file() as url:
        sqlite = bulk(url, count)
    print(f"{count:,} creates + {count:,} checked verifies (target: 20,000 under 15 s)")
    for name, (wall, cpu) in (("memory://", memory), ("sqlite://", sqlite)):
        print(f"  {name:<10} {wall:>6.1f} s wall {cpu:>6.1f} s CPU")
    print(f"  ratio      {sqlite[0] / memory[0]:>6.2f}x wall {sqlite[1] / memory[1]:>5.2f}x CPU")


def report(results: dict[str, dict[str, Timing]]) -> None:
    """Print one row per operation and sqlite store, then the memory:// baseline."""
    base = results["memory://"]
    print(f"{'operation':<15} {'store':<27} {'wall/call':>9} {'CPU/call':>9}", end="")
    print(f" {'wall ratio (spread)':>22} {'CPU ratio (spread)':>21}")
    for op in OPERATIONS:
        for store in STORES[1:]:
            timing = results[store][op]
            wall = ratios(timing.wall, base[op].wall)
            cpu = ratios(timing.cpu, base[op].cpu)
            print(
                f"{op:<15} {store:<27} {statistics.median(timing.wall) * 1e3:>7.3f}ms "
                f"{statistics.median(timing.cpu) * 1e3:>7.3f}ms "
                f"{wall[0]:>7.1f}x ({wall[1]:.1f}-{wall[2]:.1f}) "
                f"{cpu[0]:>6.1f}x ({cpu[1]:.1f}-{cpu[2]:.1f})"
            )
        wall_ms, cpu_ms = (statistics.median(t) * 1e3 for t in (base[op].wall, base[op].cpu))
        print(f"{'':<15} {'memory:// (baseline)':<27} {wall_ms:>7.3f}ms {cpu_ms:>7.3f}ms")


def main() -> None:
    """Run both benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    args = parser.parse_args()
    number, rounds, count = (100, 3, 2_000) if args.quick else (300, 7, 20_000)
    print(f"sqlite:// per operation: {rounds} alternating rounds of {number} calls each")
    report(measure(number, rounds))
    print("target: sqlite:// (default) create, refresh, update, revoke each <= 0.5 ms\n")
    report_bulk(count)


if __name__ == "__main__":
    main()
