"""Tests of the verified-token cache: what a repeat token is served, and what it never is."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from fix_manager import MakeAsync, MakeSync, parallel_calls

from sessionjar import (
    ConfigurationError,
    InvalidTokenError,
    SessionNotFound,
    SigningKey,
    TryRefreshToken,
)
from sessionjar._keys import AutomaticKeys, KeyRingState
from sessionjar._token_cache import VerifiedTokens
from sessionjar.testing import ManualClock
from sessionjar.tokens import AccessClaims, AccessTokens

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
EXP = int(NOW.timestamp()) + 900


def _mint(tokens: AccessTokens, key: SigningKey, user_id: str = "alice") -> str:
    return tokens.mint(
        key,
        handle="h" * 22,
        tenant="acme",
        user_id=user_id,
        created_at=NOW,
        issued_at=int(NOW.timestamp()),
        expires_at=EXP,
        payload={},
    )


def _claims(user_id: str) -> AccessClaims:
    return AccessClaims("h" * 22, "acme", user_id, EXP, 0, {"sub": user_id})


def test_a_repeat_token_is_served_from_the_cache() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate("HS256", kid="k")
    token = _mint(tokens, key)
    first = tokens.verify(token, {"k": key}, NOW.timestamp())
    # a hit hands back the very claims the first verify made
    assert tokens.verify(token, {"k": key}, NOW.timestamp() + 1) is first
    uncached = AccessTokens("me", cache_size=0)
    assert uncached.verify(token, {"k": key}, NOW.timestamp()) is not uncached.verify(
        token, {"k": key}, NOW.timestamp()
    )
    assert len(uncached.verified) == 0


def test_a_hit_never_outlives_exp_nor_precedes_iat() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate("HS256", kid="k")
    token = _mint(tokens, key)
    tokens.verify(token, {"k": key}, NOW.timestamp())
    assert tokens.verify(token, {"k": key}, EXP - 0.001).user_id == "alice"
    with pytest.raises(TryRefreshToken):
        tokens.verify(token, {"k": key}, EXP)
    tokens.verify(token, {"k": key}, NOW.timestamp())
    with pytest.raises(InvalidTokenError, match="not valid yet"):
        tokens.verify(token, {"k": key}, NOW.timestamp() - 3600)  # a clock set back


def test_a_hit_follows_the_managers_clock(make_manager: MakeSync, clock: ManualClock) -> None:
    manager = make_manager(keys=[SigningKey.generate(kid="k")])
    token = manager.create_session("alice").access_token
    assert manager.get_session(token).user_id == "alice"
    clock.advance(seconds=manager.access_token_validity.total_seconds() - 1)
    assert manager.get_session(token).user_id == "alice"
    clock.advance(seconds=1)
    with pytest.raises(TryRefreshToken):
        manager.get_session(token)


def test_a_key_that_leaves_the_ring_stops_its_tokens_at_once() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate("HS256", kid="k")
    token = _mint(tokens, key)
    tokens.verify(token, {"k": key}, NOW.timestamp())
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, {}, NOW.timestamp())
    tokens.verify(token, {"k": key}, NOW.timestamp())
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, {"k": SigningKey.generate("HS256", kid="k")}, NOW.timestamp())


def test_a_reload_keeps_hits_and_a_removed_stored_key_stops_them() -> None:
    automatic = AutomaticKeys()
    ring = KeyRingState(automatic)
    record = automatic.new_record(automatic.slot(NOW), NOW, timedelta(minutes=15))
    ring.install([record], NOW)
    tokens = AccessTokens("me")
    key = ring.by_kid[record.kid]
    token = _mint(tokens, key)
    first = tokens.verify(token, ring.by_kid, NOW.timestamp())
    ring.install([record], NOW)  # the same stored key, loaded again
    assert tokens.verify(token, ring.by_kid, NOW.timestamp()) is first
    ring.install([], NOW)  # the key was deleted from the store
    with pytest.raises(InvalidTokenError):
        tokens.verify(token, ring.by_kid, NOW.timestamp())


def test_failures_are_never_cached() -> None:
    tokens, key = AccessTokens("me"), SigningKey.generate("HS256", kid="k")
    token = _mint(tokens, key)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            tokens.verify(forged, {"k": key}, NOW.timestamp())
        with pytest.raises(InvalidTokenError):
            tokens.verify(token, {}, NOW.timestamp())  # unknown key: refused, not cached
        with pytest.raises(TryRefreshToken):
            tokens.verify(token, {"k": key}, EXP)
    assert len(tokens.verified) == 0
    assert tokens.verify(token, {"k": key}, NOW.timestamp()).user_id == "alice"
    assert len(tokens.verified) == 1


def test_the_bound_holds_under_100k_distinct_tokens() -> None:
    cache, keys = VerifiedTokens(1000), {"k": SigningKey.generate("HS256", kid="k")}
    claims = _claims("alice")
    cache.put("token-0", claims, keys["k"], 0)
    for number in range(1, 100_000):
        cache.put(f"token-{number}", claims, keys["k"], 0)
        if number % 500 == 0:
            assert cache.get("token-0", keys, 1) is claims  # in use: never the one evicted
        assert len(cache) <= 1000
    assert len(cache) == 1000
    assert cache.get("token-1", keys, 1) is None
    assert cache.get("token-99999", keys, 1) is claims


def test_a_size_of_zero_keeps_nothing(make_manager: MakeSync) -> None:
    manager = make_manager(keys=[SigningKey.generate(kid="k")], token_cache_size=0)
    token = manager.create_session("alice").access_token
    assert manager.get_session(token).user_id == manager.get_session(token).user_id == "alice"
    assert len(manager._tokens.verified) == 0


@pytest.mark.parametrize("size", [-1, 1.5, "10", None, True])
def test_a_bad_cache_size_is_refused(make_manager: MakeSync, size: object) -> None:
    with pytest.raises(ConfigurationError, match="cache size"):
        make_manager(token_cache_size=size)


def test_check_database_reads_the_store_on_every_hit(make_manager: MakeSync) -> None:
    calls: list[str] = []
    manager = make_manager(keys=[SigningKey.generate(kid="k")], calls=calls)
    session = manager.create_session("alice")
    calls.clear()
    for _ in range(3):
        manager.get_session(session.access_token, check_database=True)
    assert len(calls) == 3  # one read each, hit or not
    manager.revoke_session(session.handle)
    manager.get_session(session.access_token)  # a hit, as documented
    with pytest.raises(SessionNotFound):
        manager.get_session(session.access_token, check_database=True)


def _workload(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    order = tokens * 20
    random.Random(len(order)).shuffle(order)
    return order


def test_threads_get_consistent_answers(make_manager: MakeSync) -> None:
    manager = make_manager(keys=[SigningKey.generate(kid="k")], token_cache_size=8)
    tokens = [(manager.create_session(f"user-{n}").access_token, f"user-{n}") for n in range(32)]
    forged = tokens[0][0][:-4] + ("AAAA" if not tokens[0][0].endswith("AAAA") else "BBBB")

    def run(seed: int) -> bool:
        order = _workload(tokens)
        random.Random(seed).shuffle(order)
        for token, user_id in order:
            if manager.get_session(token).user_id != user_id:
                return False
            with pytest.raises(InvalidTokenError):
                manager.get_session(forged)
        return True

    assert parallel_calls([partial(run, seed) for seed in range(8)]) == [True] * 8
    assert len(manager._tokens.verified) <= 8


async def test_tasks_get_consistent_answers(make_amanager: MakeAsync) -> None:
    manager = make_amanager(keys=[SigningKey.generate(kid="k")], token_cache_size=8)
    tokens = [
        ((await manager.create_session(f"user-{n}")).access_token, f"user-{n}") for n in range(32)
    ]

    async def run(seed: int) -> bool:
        order = _workload(tokens)
        random.Random(seed).shuffle(order)
        for token, user_id in order:
            if (await manager.get_session(token)).user_id != user_id:
                return False
            await asyncio.sleep(0)  # let the other tasks interleave
        return True

    assert await asyncio.gather(*(run(seed) for seed in range(8))) == [True] * 8
    assert len(manager._tokens.verified) <= 8
