"""Scale-out: two processes of one stage split its partitions; when one is killed, the other
takes its partitions over and nothing is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from adapters.kafka_client import KafkaSink, ensure_topics, group_assignment, read_topic
from schemas.contracts import example
from schemas.records import OutRecord
from schemas.topics import Topics
from tests.conftest import Namespace
from tests.waiting import wait_until
from workers.errors import TransientError

pytestmark = pytest.mark.e2e
PARTITIONS = 4


def _articles(first: int, count: int) -> list[dict[str, Any]]:
    """Articles first..first+count-1. The first half of each wave tells stories 0..count/2-1,
    so the second wave's first half republishes stories of the first wave."""
    out = []
    for n in range(first, first + count):
        story = n % (count // 2) if n < first + count // 2 else n
        paragraphs = [
            f"Story {story} paragraph {k}: the council met on day {story} and voted on item {k} of the agenda."
            for k in range(4)
        ]
        out.append(
            dict(
                example("article.v1"),
                article_id=f"{n:032x}",
                outlet=f"Outlet {n % 3}",
                paragraphs=paragraphs,
                body="\n\n".join(paragraphs),
                page_paragraphs=[],
            )
        )
    return out


def _send(bootstrap: str, topic: str, articles: list[dict[str, Any]]) -> None:
    sink = KafkaSink.connect(bootstrap)
    for article in articles:
        sink.send(OutRecord(topic, article["article_id"], json.dumps(article).encode()))
    sink.flush()
    sink.close()


def _assignment(bootstrap: str, group: str) -> dict[str, list[tuple[str, int]]]:
    try:
        return group_assignment(bootstrap, group)
    except TransientError:
        return {}  # the group has no coordinator yet


def _deduped(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.value)
        for r in read_topic(bootstrap, topic, from_beginning=True, idle_timeout_s=2)
    ]


def test_two_dedupe_processes_split_partitions_and_survive_a_kill(
    kafka_bootstrap: str, redis_url: str, namespace: Namespace
) -> None:
    topics = Topics(namespace.topic_prefix)
    group = f"{namespace.group_prefix}newsflow-dedupe-v1"
    ensure_topics(kafka_bootstrap, topics.all(), partitions=PARTITIONS)
    env = {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSFLOW_REDIS_URL": redis_url,
        "NEWSFLOW_TOPIC_PREFIX": namespace.topic_prefix,
        "NEWSFLOW_GROUP_PREFIX": namespace.group_prefix,
        "NEWSFLOW_REDIS_KEY_PREFIX": namespace.redis_prefix,
        "NEWSFLOW_METRICS_PORT": "0",
        "NEWSFLOW_TOPIC_PARTITIONS": str(PARTITIONS),
    }
    command = [sys.executable, "-m", "newsflow", "run", "--stage", "dedupe"]
    first, second = subprocess.Popen(command, env=env), subprocess.Popen(command, env=env)
    try:

        def split_between_two() -> bool:
            assignment = _assignment(kafka_bootstrap, group)
            return len(assignment) == 2 and all(assignment.values())

        wait_until(split_between_two, 60, "both processes to hold partitions")
        _send(kafka_bootstrap, topics.articles, _articles(0, 40))
        wait_until(
            lambda: len({m["article_id"] for m in _deduped(kafka_bootstrap, topics.deduped)}) == 40,
            60,
            "the first 40 articles",
        )

        first.kill()  # no goodbye: the coordinator notices when the session times out
        first.wait(10)
        _send(kafka_bootstrap, topics.articles, _articles(40, 40))

        def all_on_the_survivor() -> bool:
            assignment = _assignment(kafka_bootstrap, group)
            return len(assignment) == 1 and len(next(iter(assignment.values()))) == PARTITIONS

        wait_until(all_on_the_survivor, 90, "the survivor to take every partition")
        wait_until(
            lambda: len({m["article_id"] for m in _deduped(kafka_bootstrap, topics.deduped)}) == 80,
            90,
            "all 80 articles",
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
        if first.poll() is None:
            first.kill()

    records = _deduped(kafka_bootstrap, topics.deduped)
    verdicts: dict[str, set[tuple[str, str]]] = {}
    for m in records:
        verdicts.setdefault(m["article_id"], set()).add(
            (m["dedupe"]["relation"], m["dedupe"]["cluster_id"])
        )
    assert len(verdicts) == 80  # nothing lost
    assert all(len(v) == 1 for v in verdicts.values()), "a redelivered article changed verdict"
    relations = [next(iter(v))[0] for v in verdicts.values()]
    assert relations.count("exact_duplicate") == 20  # wave 2 republished 20 stories of wave 1
