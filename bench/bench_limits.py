"""Benchmark of what devices and per-user limits add to sign-in and refresh, as ratios
against the same calls without them, measured in the same run.

    python -m bench.bench_limits [--quick]

On the memory store (the cost of core's own work: data-size check, User-Agent summary,
IP parsing, ranking) and on a SQLite file (with the extra reads and deletes of a
limit): ``create_session`` and ``refresh_session`` plain, with a `Client` (devices), and
with a `Client` and a `SessionLimit` of 5 (the user at the limit, so each sign-in also
revokes one). Alternating rounds, the median of per-round ratios with their spread,
wall and CPU time. Verifying an access token is untouched by either feature and is
measured in ``bench_core``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bench.bench_core import alternate, ratios, spread, sqlite_url
from sessionjar import Client, SessionLimit, SessionManager, open_store

CLIENT = Client(
    user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    ip="203.0.113.7",
)
VARIANTS = ("plain", "device", "device+limit")


def _manager(url: str, variant: str) -> SessionManager:
    limit = SessionLimit(5) if variant == "device+limit" else None
    manager = SessionManager(open_store(url), session_limit=limit)
    manager.load_keys()
    return manager


def batches(url: str, number: int) -> tuple[dict[str, Callable[[], object]], list[SessionManager]]:
    """Return a create and a refresh batch of ``number`` calls per variant."""
    made: dict[str, Callable[[], object]] = {}
    managers = []
    for variant in VARIANTS:
        manager = _manager(url, variant)
        managers.append(manager)
        client = None if variant == "plain" else CLIENT
        user = f"user-{variant}"
        for _ in range(5):
            manager.create_session(user, client=client)
        tokens: list[str | None] = [
            manager.create_session(f"{user}-r", client=client).refresh_token
        ]

        def create(m: SessionManager = manager, c: Client | None = client, u: str = user) -> None:
            for _ in range(number):
                m.create_session(u, session_data={"cart": [1, 2, 3]}, client=c)

        def refresh(
            m: SessionManager = manager, c: Client | None = client, box: list[str | None] = tokens
        ) -> None:
            for _ in range(number):
                box[0] = m.refresh_session(box[0], client=c).refresh_token  # type: ignore[arg-type]

        made[f"create {variant}"] = create
        made[f"refresh {variant}"] = refresh
    return made, managers


def report(label: str, url: str, number: int, rounds: int) -> None:
    """Print the ratios of each variant against ``plain`` on one store."""
    made, managers = batches(url, number)
    times = alternate(made, rounds)
    for manager in managers:
        manager.close()
    print(f"{label}: {rounds} alternating rounds of {number} calls; ratio to plain, "
          "median of per-round ratios [interquartile range, min-max]")  # fmt: skip
    for operation in ("create", "refresh"):
        for variant in VARIANTS[1:]:
            top, bottom = f"{operation} {variant}", f"{operation} plain"
            wall = spread(ratios(times, top, bottom, 0))
            cpu = spread(ratios(times, top, bottom, 1))
            print(f"  {operation:<8} {variant:<13} wall {wall}  cpu {cpu}")


def main() -> None:
    """Run the benchmark on memory:// and on a SQLite file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    args = parser.parse_args()
    number, rounds = (20, 5) if args.quick else (100, 15)
    report("memory://", "memory://bench-limits", number, rounds)
    with sqlite_url() as url:
        report("sqlite", url, number, rounds)


if __name__ == "__main__":
    main()
