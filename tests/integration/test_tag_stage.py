"""The tag stage as a process on the real broker: deduped articles in, tagged articles out,
and a rules file edited while it runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_client import KafkaSink, ensure_topics, read_topic
from schemas.contracts import problems
from schemas.records import OutRecord
from schemas.topics import Topics
from tests.conftest import Namespace
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "deduped.v1.json"

RULES = """
[[watch]]
name = "Vladimir Putin"
aliases = ["Putin", "بوتين"]
"""
RULES_WITH_TOPIC = (
    RULES
    + """
[[topic]]
id = "harbours"
any = { en = ["harbour", "ferries"] }
"""
)


def _deduped(article_id: str, title: str, paragraphs: list[str]) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return message | {
        "article_id": article_id,
        "title": title,
        "paragraphs": paragraphs,
        "body": "\n\n".join(paragraphs),
        "feed_tags": ["region:world"],
    }


def _send(kafka: str, topic: str, message: dict[str, Any]) -> None:
    sink = KafkaSink.connect(kafka)
    sink.send(OutRecord(topic, message["article_id"], json.dumps(message).encode()))
    sink.flush()
    sink.close()


def _records(kafka: str, topic: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.value) for r in read_topic(kafka, topic, from_beginning=True, idle_timeout_s=1)
    ]


def _processed(kafka: str, topic: str) -> dict[str, dict[str, Any]]:
    """The last message of each article on the topic."""
    return {m["article_id"]: m for m in _records(kafka, topic)}


def test_tag_stage_tags_and_reloads_its_rules(
    kafka_bootstrap: str, redis_url: str, namespace: Namespace, tmp_path: Path
) -> None:
    topics = Topics(namespace.topic_prefix)
    ensure_topics(kafka_bootstrap, topics.all(), partitions=1)
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    env = {
        **os.environ,
        "NEWSFLOW_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "NEWSFLOW_REDIS_URL": redis_url,  # the story step's index
        "NEWSFLOW_REDIS_KEY_PREFIX": namespace.redis_prefix,
        "NEWSFLOW_TOPIC_PREFIX": namespace.topic_prefix,
        "NEWSFLOW_GROUP_PREFIX": namespace.group_prefix,
        "NEWSFLOW_TAG_RULES_FILE": str(rules),
        "NEWSFLOW_METRICS_PORT": "0",
    }
    stage = subprocess.Popen([sys.executable, "-m", "newsflow", "run", "--stage", "tag"], env=env)
    try:
        arabic = _deduped(
            "a" * 32, "بوتين في موسكو", ["قال بوتين إن روسيا مستعدة للحوار مع الصين."]
        )
        _send(kafka_bootstrap, topics.deduped, arabic)
        wait_until(
            lambda: "a" * 32 in _processed(kafka_bootstrap, topics.processed),
            60,
            "the Arabic article tagged",
        )

        rules.write_text(RULES_WITH_TOPIC, encoding="utf-8")
        english = _deduped("b" * 32, "Harbour reopens", ["Ferries to Morocco run again."])

        def english_tagged_under_the_new_rules() -> bool:
            # The stage looks at the file when it tags an article, at most every
            # RELOAD_CHECK_S: a copy tagged before that look carries the old rules, so the
            # article is sent again until a copy comes out with the new topic.
            _send(kafka_bootstrap, topics.deduped, english)
            tagged = _processed(kafka_bootstrap, topics.processed).get("b" * 32)
            return tagged is not None and tagged["tags"]["topics"] != []

        wait_until(english_tagged_under_the_new_rules, 60, "the English article tagged")
    finally:
        stage.send_signal(signal.SIGTERM)
        assert stage.wait(30) == 0

    assert all(
        problems("processed.v1", m) == [] for m in _records(kafka_bootstrap, topics.processed)
    )
    out = _processed(kafka_bootstrap, topics.processed)
    tags = out["a" * 32]["tags"]
    assert tags["language"] == "ar"
    assert [p["id"] for p in tags["places"]] == ["RU", "CN", "geonames:524901"]  # RU twice
    assert [e["name"] for e in tags["entities"]] == ["Vladimir Putin"]
    assert tags["topics"] == []
    assert tags["source"] == {"outlet": "Example News", "feed_tags": ["region:world"]}
    english_tags = out["b" * 32]["tags"]
    assert [t["id"] for t in english_tags["topics"]] == ["harbours"]
    # Both are too short to tell one story from another: each is a story of its own, and
    # each opened one on the story topic.
    assert out["a" * 32]["story"]["story_id"] == "a" * 32
    assert out["a" * 32]["story"]["reason"] == "too_short"
    events = _records(kafka_bootstrap, topics.stories)
    assert all(problems("story_event.v1", e) == [] for e in events)
    assert {(e["story_id"], e["event"]) for e in events} == {
        ("a" * 32, "opened"),
        ("b" * 32, "opened"),
    }
    assert [p["id"] for p in english_tags["places"]] == ["MA"]
