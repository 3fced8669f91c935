"""Fault injection on the whole pipeline: 2,000 articles from the local replay server through
`newsflow run` while stage processes are SIGKILLed ten times, Redis is frozen for ten
seconds and then restarted (AOF on), and the broker is restarted. Afterwards a
read_committed consumer of the processed topic sees every article exactly once (delivery
exactly_once, the default): none lost, none twice, and every story has exactly one
`original`. The figures are printed for docs/reliability.md."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.kafka_client import ensure_topics
from ingest.canonical_url import article_id, canonical_url
from schemas.topics import Topics
from services.kafka_broker import BrokerConfig, start_broker
from services.process import ManagedProcess, free_port
from services.redis_server import RedisConfig, start_redis
from services.replay_server import Outlet, ReplayServer, Story, StorySet
from tests.conftest import Namespace
from tests.e2e.pipeline_run import child_pids, pipeline_env, topic_messages
from tests.synthetic import sentence
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

OUTLETS = 20
STORIES = 1600
REPRINTS = 400  # copies of earlier stories, word for word, at other outlets


def _paragraphs(story: int) -> tuple[str, ...]:
    rng = random.Random(story)
    return tuple(f"Report {story}-{k}: {sentence(rng, 18, 30)}." for k in range(rng.randint(3, 6)))


def story_set(articles: int = STORIES + REPRINTS) -> tuple[StorySet, dict[str, int]]:
    """The stories, and which story each article page tells (its path -> story number).
    Four in five articles are new stories; the rest republish one of them elsewhere."""
    rng = random.Random(5)
    originals = articles * 4 // 5
    outlets = tuple(Outlet(f"outlet-{n}", f"Outlet {n}", "en") for n in range(OUTLETS))
    stories, told = [], {}
    for n in range(articles):
        story = n if n < originals else rng.randrange(originals)
        outlet = outlets[n % OUTLETS] if n < originals else rng.choice(outlets)
        slug = f"a{n}"
        stories.append(
            Story(outlet.slug, slug, f"Headline {n}", "2026-11-28T07:30:00Z", _paragraphs(story))
        )
        told[f"{outlet.slug}/{slug}.html"] = story
    return StorySet(outlets, tuple(stories)), told


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[RedisConfig, ManagedProcess]]:
    """A Redis of this test's own, with AOF, so the test may freeze and restart it."""
    cfg = RedisConfig(port=free_port(), data_dir=tmp_path / "redis", persistent=True)
    server = start_redis(cfg)
    yield cfg, server
    server.stop()


def _wait_for_all(bootstrap: str, topic: str, count: int, timeout_s: float) -> None:
    def arrived() -> bool:
        return len({m["article_id"] for m in topic_messages(bootstrap, topic)}) >= count

    wait_until(arrived, timeout_s, f"all {count} articles on the processed topic")


def test_exactly_once_under_faults(
    own_redis: tuple[RedisConfig, ManagedProcess], namespace: Namespace, tmp_path: Path
) -> None:
    redis_cfg, first_redis = own_redis
    kafka = BrokerConfig(port=free_port(), controller_port=free_port(), data_dir=tmp_path / "kafka")
    broker: ManagedProcess | None = start_broker(kafka)
    stories, told = story_set()
    replay = ReplayServer.start(stories)
    topics = Topics(namespace.topic_prefix)
    ensure_topics(kafka.bootstrap, topics.all(), partitions=3)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(replay.site.feeds_toml(), encoding="utf-8")
    env = pipeline_env(
        kafka.bootstrap,
        redis_cfg.url,
        namespace,
        feeds,
        tmp_path / "state",
        poll_interval_s="3",
        metrics_port="0",
        log_level="WARNING",
    )
    run = subprocess.Popen([sys.executable, "-m", "newsflow", "run"], env=env)
    rng = random.Random(11)
    faults: Counter[str] = Counter()
    restarted: ManagedProcess | None = None
    started = time.monotonic()
    try:
        time.sleep(6)
        for _ in range(10):  # SIGKILL a random stage process; the supervisor restarts it
            children = child_pids(run.pid)
            if children:
                os.kill(rng.choice(children), signal.SIGKILL)
                faults["stage processes killed"] += 1
            time.sleep(rng.uniform(1.5, 3.0))
        redis_pid = first_redis.proc.pid
        os.kill(redis_pid, signal.SIGSTOP)  # Redis unreachable: every call times out
        time.sleep(10)
        os.kill(redis_pid, signal.SIGCONT)
        faults["redis frozen 10 s"] += 1
        time.sleep(3)
        os.kill(redis_pid, signal.SIGTERM)  # a restart: AOF written on the way down
        first_redis.proc.wait(20)
        restarted = start_redis(redis_cfg)
        faults["redis restarted (AOF)"] += 1
        time.sleep(3)
        assert broker is not None
        assert broker.stop() in (0, 143)  # the broker stopped and started on the same log
        time.sleep(5)
        broker = start_broker(kafka)
        faults["broker restarted"] += 1
        _wait_for_all(kafka.bootstrap, topics.processed, len(told), 420)
    finally:
        run.send_signal(signal.SIGTERM)
        exit_code = run.wait(60)
        replay.stop()
        records = topic_messages(kafka.bootstrap, topics.processed) if broker else []
        if restarted is not None:
            restarted.stop()
        if broker is not None:
            broker.stop()
    assert exit_code == 0

    story_of = {
        article_id(canonical_url(f"{replay.site.base_url}/{path}")): s for path, s in told.items()
    }
    verdicts: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for m in records:
        verdicts[m["article_id"]].add((m["dedupe"]["relation"], m["dedupe"]["cluster_id"]))
    lost = set(story_of) - set(verdicts)
    conflicting = [a for a, v in verdicts.items() if len(v) > 1]
    originals = Counter(story_of[a] for a, v in verdicts.items() if next(iter(v))[0] == "original")
    clusters = defaultdict(set)
    for a, v in verdicts.items():
        clusters[story_of[a]].add(next(iter(v))[1])
    figures = {
        "articles": len(story_of),
        "records on the processed topic": len(records),
        "duplicates": len(records) - len(verdicts),
        **faults,
        "lost": len(lost),
        "conflicting verdicts": len(conflicting),
        "stories with more than one original": sum(c > 1 for c in originals.values()),
        "stories split over clusters": sum(len(c) > 1 for c in clusters.values()),
        "seconds": round(time.monotonic() - started),
    }
    print("\nfault injection: " + json.dumps(figures))
    assert faults["stage processes killed"] >= 10
    assert not lost and not conflicting
    assert len(records) == len(story_of), f"{figures['duplicates']} records twice"
    assert set(originals) == set(range(STORIES)) and max(originals.values()) == 1
    assert figures["stories split over clusters"] == 0
