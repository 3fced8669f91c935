"""`newsflow backfill` loads a file onto a topic; `newsflow replay` makes a stopped stage
handle its input again, and the verdicts come out the same."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_client import ensure_topics, read_topic
from schemas.contracts import example
from schemas.topics import Topics
from tests.conftest import Namespace
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


def _deduped(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.value)
        for r in read_topic(bootstrap, topic, from_beginning=True, idle_timeout_s=2)
    ]


def test_backfill_then_replay_gives_the_same_verdicts(
    kafka_bootstrap: str, redis_url: str, namespace: Namespace, tmp_path: Path
) -> None:
    topics = Topics(namespace.topic_prefix)
    ensure_topics(kafka_bootstrap, topics.all(), partitions=2)
    lines = []
    for n in range(10):
        story = n % 6  # articles 6..9 republish stories 0..3
        paragraphs = [
            f"Story {story}: the harbour board met on day {story} and approved plan number {story} with changes."
        ]
        lines.append(
            json.dumps(
                dict(
                    example("article.v1"),
                    article_id=f"{n:032x}",
                    outlet=f"Outlet {n}",
                    paragraphs=paragraphs,
                    body=paragraphs[0],
                )
            )
        )
    lines.insert(3, "not json")
    backlog = tmp_path / "articles.jsonl"
    backlog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSFLOW_REDIS_URL": redis_url,
        "NEWSFLOW_TOPIC_PREFIX": namespace.topic_prefix,
        "NEWSFLOW_GROUP_PREFIX": namespace.group_prefix,
        "NEWSFLOW_REDIS_KEY_PREFIX": namespace.redis_prefix,
        "NEWSFLOW_METRICS_PORT": "0",
    }
    newsflow = [sys.executable, "-m", "newsflow"]

    loaded = subprocess.run(
        [*newsflow, "backfill", str(backlog), "--topic", "articles"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "backfill: 10 sent, 1 invalid lines skipped" in loaded.stdout

    def run_dedupe_until(count: int) -> None:
        stage = subprocess.Popen([*newsflow, "run", "--stage", "dedupe"], env=env)
        try:
            wait_until(
                lambda: len(_deduped(kafka_bootstrap, topics.deduped)) >= count,
                90,
                f"{count} records",
            )
        finally:
            stage.send_signal(signal.SIGTERM)
            assert stage.wait(30) == 0

    run_dedupe_until(10)
    busy = subprocess.Popen([*newsflow, "run", "--stage", "dedupe"], env=env)
    try:
        wait_until(
            lambda: (
                "has running members"
                in subprocess.run(
                    [*newsflow, "replay", "--stage", "dedupe", "--since", "1h"],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=60,
                ).stderr
            ),
            60,
            "replay to refuse a running stage",
        )
    finally:
        busy.send_signal(signal.SIGTERM)
        busy.wait(30)
    moved = subprocess.run(
        [*newsflow, "replay", "--stage", "dedupe", "--since", "1h"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert moved.returncode == 0, moved.stderr[-2000:]
    assert "will resume at partition 0 -> 0, partition 1 -> 0" in moved.stdout
    run_dedupe_until(20)

    verdicts: dict[str, set[tuple[str, str]]] = {}
    for m in _deduped(kafka_bootstrap, topics.deduped):
        verdicts.setdefault(m["article_id"], set()).add(
            (m["dedupe"]["relation"], m["dedupe"]["cluster_id"])
        )
    assert len(verdicts) == 10 and all(len(v) == 1 for v in verdicts.values())
    relations = sorted(next(iter(v))[0] for v in verdicts.values())
    assert relations == ["exact_duplicate"] * 4 + ["original"] * 6
