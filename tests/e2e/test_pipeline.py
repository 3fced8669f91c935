"""The whole pipeline as a user runs it: `newsflow run` as a process, a local HTTP server with
feeds and pages, the real broker and Redis, and the processed topic read back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_client import KafkaSink, committed_offsets, ensure_topics, read_topic
from ingest.canonical_url import article_id, canonical_url
from schemas.contracts import problems
from schemas.records import OutRecord
from schemas.topics import Topics
from services.replay_server import ReplayServer, load_story_set
from tests.conftest import Namespace
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer.start(load_story_set(FIXTURES / "stories.toml"))
    yield server
    server.stop()


def _env(kafka: str, redis: str, ns: Namespace, feeds: Path, state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": kafka,
        "NEWSFLOW_REDIS_URL": redis,
        "NEWSFLOW_TOPIC_PREFIX": ns.topic_prefix,
        "NEWSFLOW_GROUP_PREFIX": ns.group_prefix,
        "NEWSFLOW_REDIS_KEY_PREFIX": ns.redis_prefix,
        "NEWSFLOW_FEEDS_FILE": str(feeds),
        "NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1",
        "NEWSFLOW_STATE_DIR": str(state),
        "NEWSFLOW_POLL_INTERVAL_S": "2",
    }


def _read_all(kafka: str, topic: str) -> list[dict[str, Any]]:
    records = read_topic(kafka, topic, from_beginning=True, idle_timeout_s=2)
    return [json.loads(r.value) for r in records]


def _id_of(replay: ReplayServer, path: str) -> str:
    return article_id(canonical_url(f"{replay.site.base_url}/{path}"))


def test_feeds_to_processed_topic(
    kafka_bootstrap: str, redis_url: str, namespace: Namespace, replay: ReplayServer,
    tmp_path: Path,
) -> None:  # fmt: skip
    topics = Topics(namespace.topic_prefix)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(replay.site.feeds_toml(), encoding="utf-8")
    ensure_topics(kafka_bootstrap, topics.all(), partitions=3)
    # A poisoned input is waiting on the entries topic before the pipeline starts.
    sink = KafkaSink.connect(kafka_bootstrap)
    sink.send(OutRecord(topics.entries, "poison", b'{"schema_version": 1, "url": 42'))
    sink.flush()
    sink.close()

    env = _env(kafka_bootstrap, redis_url, namespace, feeds, tmp_path / "state")
    run = subprocess.Popen([sys.executable, "-m", "newsflow", "run"], env=env)
    try:
        processed: list[dict[str, Any]] = []

        def four_processed() -> bool:
            processed[:] = _read_all(kafka_bootstrap, topics.processed)
            return len({m["article_id"] for m in processed}) >= 4

        wait_until(four_processed, 90, "4 articles on the processed topic")
    finally:
        stopping = time.monotonic()
        run.send_signal(signal.SIGTERM)  # what systemd and docker send
        exit_code = run.wait(30)
    assert exit_code == 0
    assert time.monotonic() - stopping < 12, "SIGTERM should stop the pipeline within 10 s"

    by_id = {m["article_id"]: m for m in processed}
    assert all(problems("processed.v1", m) == [] for m in processed)
    original = by_id[_id_of(replay, "north-post/bridge-closed.html")]
    reprint = by_id[_id_of(replay, "river-wire/bridge-shut.html")]
    arabic = by_id[_id_of(replay, "al-wadi/matar.html")]
    doubled = by_id[_id_of(replay, "north-post/market-moves.html")]

    # Which of the two bridge copies came first depends on polling order; one is the story.
    first, second = sorted([original, reprint], key=lambda m: m["dedupe"]["relation"] != "original")
    assert first["dedupe"]["relation"] == "original"
    assert second["dedupe"] | {"content_hash": ""} == {
        "relation": "exact_duplicate",
        "duplicate_of": first["article_id"],
        "cluster_id": first["article_id"],
        "score": 1.0,
        "method": "content_hash",
        "content_hash": "",
        "cross_outlet": True,
        "containment": 1.0,
    }
    assert (original["tags"]["language"], arabic["tags"]["language"]) == ("en", "ar")
    assert arabic["outlet"] == "الوادي" and "الأَمْطَارُ" in arabic["body"]
    assert arabic["tags"]["source"]["outlet"] == "الوادي"
    assert (arabic["tags"]["script"], arabic["tags"]["direction"]) == ("Arab", "rtl")
    assert arabic["title"] == "أمطار غزيرة تغلق الطرق في الوادي"
    # The page printed paragraphs 2-3 twice: flagged, with evidence, and repaired.
    assert doubled["body_source"] == "page" and len(doubled["paragraphs"]) == 3
    assert doubled["internal_duplication"] | {"repeated_share": 0} == {
        "detected": True,
        "pattern": "whole_body_repeat",
        "found_in": "body_and_page",
        "repeats": [
            {"index": 3, "first_index": 1, "similarity": 1.0},
            {"index": 4, "first_index": 2, "similarity": 1.0},
        ],
        "repeated_share": 0,
        "original_paragraph_count": 5,
    }
    assert not original["internal_duplication"]["detected"]
    assert original["url"].endswith("/north-post/bridge-closed.html")  # tracking param gone

    # `newsflow explain` says why, from the processed topic alone.
    explained = subprocess.run(
        [sys.executable, "-m", "newsflow", "explain", second["article_id"]],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert f"verdict   exact_duplicate  cluster {first['article_id']}" in explained
    assert "shared    3 of 3 paragraphs word for word (the match has 3)" in explained
    repeats = subprocess.run(
        [sys.executable, "-m", "newsflow", "explain", doubled["article_id"]],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "repeats   whole_body_repeat in the body and page: 2 repeated paragraphs" in repeats

    dead = _read_all(kafka_bootstrap, topics.dead_letter)
    assert [(d["stage"], d["error_type"], d["key"]) for d in dead] == [
        ("extract", "invalid_json", "poison")
    ]

    # Every stage committed everything it consumed: a restart would replay nothing.
    for stage, topic in (("extract", topics.entries), ("dedupe", topics.articles),
                         ("tag", topics.deduped)):  # fmt: skip
        offsets = committed_offsets(kafka_bootstrap, f"{namespace.group_prefix}newsflow-{stage}-v1")
        consumed = sum(v for (t, _), v in offsets.items() if t == topic)
        on_topic = len(
            list(read_topic(kafka_bootstrap, topic, from_beginning=True, idle_timeout_s=2))
        )
        assert consumed == on_topic, f"{stage} committed {consumed} of {on_topic}"


def test_watch_prints_the_processed_records_as_json_and_as_lines(
    kafka_bootstrap: str, namespace: Namespace, tmp_path: Path
) -> None:
    topics = Topics(namespace.topic_prefix)
    ensure_topics(kafka_bootstrap, [topics.processed], partitions=1)
    message = json.loads(
        (FIXTURES.parent.parent / "schemas/examples/processed.v1.json").read_text()
    )
    sink = KafkaSink.connect(kafka_bootstrap)
    sink.send(OutRecord(topics.processed, message["article_id"], json.dumps(message).encode()))
    sink.flush()
    sink.close()
    env = {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSFLOW_REDIS_URL": "redis://unused",
        "NEWSFLOW_TOPIC_PREFIX": namespace.topic_prefix,
    }
    watch = [sys.executable, "-m", "newsflow", "watch", "--from-beginning", "--idle-exit-s", "3"]
    as_json = subprocess.run(
        [*watch, "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert [json.loads(line) for line in as_json.stdout.splitlines()] == [message]
    as_text = subprocess.run(watch, env=env, capture_output=True, text=True, timeout=60)
    assert as_text.stdout.strip().endswith("Harbour reopens after the storm  [MA]  (3f0c2a9b)")
