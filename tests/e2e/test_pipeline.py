"""The whole pipeline as a user runs it: `newsflow run` as a process, a local HTTP server with
feeds and pages, the real broker and Redis, and the processed topic read back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_client import KafkaSink, consumer_lag, ensure_topics, read_topic
from ingest.canonical_url import article_id, canonical_url
from schemas.contracts import problems
from schemas.records import OutRecord
from schemas.topics import Topics
from services.replay_server import ReplayServer, load_story_set
from tests.conftest import Namespace
from tests.e2e.pipeline_run import pipeline_env
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BRIDGE_ORIGINAL = "north-post/bridge-closed.html"
BRIDGE_REPRINT = "river-wire/bridge-shut.html"
ARABIC = "al-wadi/matar.html"
DOUBLED = "north-post/market-moves.html"
STAGES = ("extract", "dedupe", "tag")


def _read_all(kafka: str, topic: str) -> list[dict[str, Any]]:
    records = read_topic(kafka, topic, from_beginning=True, idle_timeout_s=2)
    return [json.loads(r.value) for r in records]


@dataclass(frozen=True)
class Commits:
    """What a stage's consumer group committed on its input topic, and where the topic ends
    (offsets: with transactions, each commit's marker takes an offset too)."""

    consumed: int
    on_topic: int


@dataclass(frozen=True)
class PipelineRun:
    """What one `newsflow run` over the story fixtures left behind, read once it had stopped."""

    exit_code: int
    stop_s: float  # from SIGTERM to the exit
    processed: list[dict[str, Any]]
    dead_letters: list[dict[str, Any]]
    commits: dict[str, Commits]  # by stage
    env: dict[str, str]  # to run other commands against the same topics
    site_url: str

    def article(self, page: str) -> dict[str, Any]:
        wanted = article_id(canonical_url(f"{self.site_url}/{page}"))
        return {m["article_id"]: m for m in self.processed}[wanted]

    def bridge_copies(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The two outlets' bridge stories as (the story, its duplicate): which came first
        depends on polling order."""
        copies = [self.article(BRIDGE_ORIGINAL), self.article(BRIDGE_REPRINT)]
        first, second = sorted(copies, key=lambda m: m["dedupe"]["relation"] != "original")
        return first, second

    def explain(self, article: dict[str, Any]) -> str:
        return subprocess.run(
            [sys.executable, "-m", "newsflow", "explain", article["article_id"]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout


def _poison_entries(kafka: str, topics: Topics) -> None:
    """A poisoned input waiting on the entries topic before the pipeline starts."""
    sink = KafkaSink.connect(kafka)
    sink.send(OutRecord(topics.entries, "poison", b'{"schema_version": 1, "url": 42'))
    sink.flush()
    sink.close()


def _commits(kafka: str, namespace: Namespace, topics: Topics) -> dict[str, Commits]:
    inputs = {"extract": topics.entries, "dedupe": topics.articles, "tag": topics.deduped}
    found = {}
    for stage in STAGES:
        topic = inputs[stage]
        lags = consumer_lag(kafka, f"{namespace.group_prefix}newsflow-{stage}-v1", [topic])
        found[stage] = Commits(
            consumed=sum(lag.committed or 0 for lag in lags), on_topic=sum(lag.end for lag in lags)
        )
    return found


@pytest.fixture(scope="module")
def run(
    kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PipelineRun]:
    """The pipeline run once, as a user runs it, until the four stories are processed."""
    namespace = Namespace(uuid.uuid4().hex[:12])
    topics = Topics(namespace.topic_prefix)
    work = tmp_path_factory.mktemp("pipeline")
    replay = ReplayServer.start(load_story_set(FIXTURES / "stories.toml"))
    try:
        feeds = work / "feeds.toml"
        feeds.write_text(replay.site.feeds_toml(), encoding="utf-8")
        ensure_topics(kafka_bootstrap, topics.all(), partitions=3)
        _poison_entries(kafka_bootstrap, topics)
        env = pipeline_env(
            kafka_bootstrap, redis_url, namespace, feeds, work / "state", poll_interval_s="2"
        )
        pipeline = subprocess.Popen([sys.executable, "-m", "newsflow", "run"], env=env)
        processed: list[dict[str, Any]] = []
        try:

            def four_processed() -> bool:
                processed[:] = _read_all(kafka_bootstrap, topics.processed)
                return len({m["article_id"] for m in processed}) >= 4

            wait_until(four_processed, 90, "4 articles on the processed topic")
        finally:
            stopping = time.monotonic()
            pipeline.send_signal(signal.SIGTERM)  # what systemd and docker send
            exit_code = pipeline.wait(30)
            stop_s = time.monotonic() - stopping
        yield PipelineRun(
            exit_code=exit_code,
            stop_s=stop_s,
            processed=processed,
            dead_letters=_read_all(kafka_bootstrap, topics.dead_letter),
            commits=_commits(kafka_bootstrap, namespace, topics),
            env=env,
            site_url=replay.site.base_url,
        )
    finally:
        replay.stop()


def test_sigterm_stops_the_pipeline_cleanly_within_ten_seconds(run: PipelineRun) -> None:
    assert run.exit_code == 0
    assert run.stop_s < 12, "SIGTERM should stop the pipeline within 10 s"


def test_every_processed_record_meets_its_contract(run: PipelineRun) -> None:
    assert all(problems("processed.v1", m) == [] for m in run.processed)


def test_a_reprint_by_another_outlet_is_an_exact_duplicate_of_the_first_copy(
    run: PipelineRun,
) -> None:
    first, second = run.bridge_copies()
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


def test_a_reprint_and_its_first_copy_are_one_story(run: PipelineRun) -> None:
    """The two copies can reach the tag stage in either order (they are keyed to different
    partitions): whichever comes first opens the story, the other joins it."""
    first, second = run.bridge_copies()
    stories = [first["story"], second["story"]]
    assert first["story"]["story_id"] == second["story"]["story_id"]
    assert sorted(s["size"] for s in stories) == [1, 2]
    opener, joiner = sorted(stories, key=lambda s: s["size"])
    assert opener["role"] == "first"
    assert joiner["role"] in ("copy", "rewrite")
    assert joiner["score"] >= 0.7


def test_every_processed_article_has_a_story(run: PipelineRun) -> None:
    assert all(m["story"]["story_id"] for m in run.processed)


def test_each_article_is_tagged_with_the_language_it_is_written_in(run: PipelineRun) -> None:
    languages = (
        run.article(BRIDGE_ORIGINAL)["tags"]["language"],
        run.article(ARABIC)["tags"]["language"],
    )
    assert languages == ("en", "ar")


def test_an_arabic_article_keeps_its_outlet_title_and_vowelled_text(run: PipelineRun) -> None:
    arabic = run.article(ARABIC)
    assert arabic["outlet"] == "الوادي" and "الأَمْطَارُ" in arabic["body"]
    assert arabic["tags"]["source"]["outlet"] == "الوادي"
    assert arabic["title"] == "أمطار غزيرة تغلق الطرق في الوادي"


def test_an_arabic_article_is_tagged_as_arabic_script_written_right_to_left(
    run: PipelineRun,
) -> None:
    arabic = run.article(ARABIC)
    assert (arabic["tags"]["script"], arabic["tags"]["direction"]) == ("Arab", "rtl")


def test_a_page_printing_its_paragraphs_twice_is_flagged_with_evidence_and_repaired(
    run: PipelineRun,
) -> None:
    doubled = run.article(DOUBLED)  # the page printed paragraphs 2-3 twice
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


def test_an_article_without_repeats_is_not_flagged_as_internally_duplicated(
    run: PipelineRun,
) -> None:
    assert not run.article(BRIDGE_ORIGINAL)["internal_duplication"]["detected"]


def test_the_tracking_parameter_is_dropped_from_the_article_url(run: PipelineRun) -> None:
    assert run.article(BRIDGE_ORIGINAL)["url"].endswith("/north-post/bridge-closed.html")


def test_explain_gives_a_duplicates_verdict_from_the_processed_topic_alone(
    run: PipelineRun,
) -> None:
    first, second = run.bridge_copies()
    explained = run.explain(second)
    assert f"verdict   exact_duplicate  cluster {first['article_id']}" in explained
    assert "shared    3 of 3 paragraphs word for word (the match has 3)" in explained


def test_explain_describes_the_repeated_paragraphs_of_an_article(run: PipelineRun) -> None:
    repeats = run.explain(run.article(DOUBLED))
    assert "repeats   whole_body_repeat in the body and page: 2 repeated paragraphs" in repeats


def test_a_poisoned_entry_is_dead_lettered_by_the_extract_stage(run: PipelineRun) -> None:
    assert [(d["stage"], d["error_type"], d["key"]) for d in run.dead_letters] == [
        ("extract", "invalid_json", "poison")
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_committed_everything_it_consumed(run: PipelineRun, stage: str) -> None:
    # A restart would replay nothing.
    commits = run.commits[stage]
    assert commits.consumed == commits.on_topic, (
        f"{stage} committed {commits.consumed} of {commits.on_topic}"
    )


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
