"""Content-hash claims on the real Redis: one winner under a race, expiry, replays."""

import multiprocessing
import threading
import time

import pytest

from adapters.hash_store import RedisHashStore, connect_redis
from tests.conftest import Namespace

pytestmark = pytest.mark.integration


def _claim(args: tuple[str, str, str, threading.Barrier]) -> str | None:
    url, prefix, owner, barrier = args
    store = RedisHashStore(connect_redis(url), prefix)
    barrier.wait()
    return store.claim("race", "same-story", owner, 60)


def test_first_claim_wins_and_later_ones_see_the_owner(
    redis_url: str, namespace: Namespace
) -> None:
    store = RedisHashStore(connect_redis(redis_url), namespace.redis_prefix)
    assert store.claim("exact", "h1", "article-a", 60) is None
    assert store.claim("exact", "h1", "article-b", 60) == "article-a"
    assert store.claim("exact", "h1", "article-a", 60) == "article-a"  # a replay sees itself
    ttl = store.client.ttl(f"{namespace.redis_prefix}exact:h1")
    assert 0 < ttl <= 60


def test_claims_expire_with_the_window(redis_url: str, namespace: Namespace) -> None:
    store = RedisHashStore(connect_redis(redis_url), namespace.redis_prefix)
    assert store.claim("exact", "short", "a", 1) is None
    time.sleep(1.2)
    assert store.claim("exact", "short", "b", 1) is None


def test_racing_processes_produce_exactly_one_winner(redis_url: str, namespace: Namespace) -> None:
    workers = 8
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(workers)
        args = [(redis_url, namespace.redis_prefix, f"owner-{i}", barrier) for i in range(workers)]
        with ctx.Pool(workers) as pool:
            results = pool.map(_claim, args)
    winners = [i for i, previous in enumerate(results) if previous is None]
    assert len(winners) == 1
    assert all(previous == f"owner-{winners[0]}" for previous in results if previous is not None)
