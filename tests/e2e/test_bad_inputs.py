"""Hostile input on the whole pipeline while 500 good articles flow through `newsflow run`:
a page of 5 MB, a feed entry with 2 MB of text, a link redirected to a port that cannot
exist, an Arabic feed in windows-1256 that does not say so, entries without a usable link
(tests/e2e/hostile_site.py serves them). The pipeline first settles on good input alone;
its stages' memory is measured; then the hostile feeds are armed.

Afterwards every good article is on the processed topic exactly once, no entry was sent
twice, each hostile input was processed as it should be or dead-lettered with its reason,
no consumer group lags, no stage was restarted, and none holds more than 1.5 times the
memory it held before. Every check is made and reported, then the test fails on those that
did not hold. The figures are printed for docs/reliability.md.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.kafka_client import PartitionLag, consumer_lag, ensure_topics
from ingest.canonical_url import article_id, canonical_url
from newsflow.settings import Settings
from newsflow.stages import STAGES, group_of, topics_of
from schemas.topics import Topics
from services.process import free_port
from services.replay_server import Outlet, Release, ReplayServer, Story, StorySet
from tests.conftest import Namespace
from tests.e2e.bad_input_checks import (
    Flow,
    arabic_titles_problem,
    dead_letters_for,
    entry_outcome,
    feed_text_problem,
    good_articles_problem,
    lag_problem,
    memory_problem,
    metric_total,
    outcome,
    oversized_entry_problem,
    oversized_page_problem,
    resent_entries_problem,
    restart_problem,
    skipped_entry_problem,
)
from tests.e2e.hostile_site import BIG_SUMMARY_BYTES, HostileContent, HostileServer
from tests.e2e.pipeline_run import pipeline_env, resident_kib, stage_pids, topic_messages
from tests.synthetic import sentence
from tests.waiting import holds_within, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

GOOD_ARTICLES = 500
OUTLETS = 10
# Released a few a second, as newsrooms publish, so that good articles still flow while the
# hostile feeds are read.
RELEASE_PER_S = 8.0
# Good articles processed before the memory baseline: every stage has warmed up and handled
# a steady stream by then.
SETTLED_AT = 150
SKIPPED_SAMPLE = "newsflow_feed_entries_skipped_total"


def good_stories() -> StorySet:
    outlets = tuple(Outlet(f"outlet-{n}", f"Outlet {n}", "en") for n in range(OUTLETS))
    stories = []
    for n in range(GOOD_ARTICLES):
        rng = random.Random(n)
        paragraphs = tuple(f"Report {n}-{k}: {sentence(rng, 18, 30)}." for k in range(4))
        stories.append(
            Story(
                outlet=outlets[n % OUTLETS].slug,
                slug=f"a{n}",
                title=f"Headline {n}",
                published="2026-11-28T07:30:00Z",
                paragraphs=paragraphs,
            )
        )
    return StorySet(outlets, tuple(stories))


def good_article_ids(replay: ReplayServer, hostile: HostileContent) -> set[str]:
    """The replay server's articles and the ordinary neighbours of the hostile entries."""
    base = replay.site.base_url
    replayed = {
        article_id(canonical_url(f"{base}/{s.outlet}/{s.slug}.html"))
        for s in replay.site.stories.stories
    }
    return replayed | set(hostile.neighbours)


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer.start()
    yield server
    server.stop()


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer.start(good_stories(), release=Release())
    yield server
    server.stop()


def group_lags(settings: Settings) -> dict[str, list[PartitionLag]]:
    """The lag of each stage that reads a topic, by its consumer group (the groups and
    topics of newsflow/cli.py's lag metric)."""
    topics = topics_of(settings)
    inputs = {"extract": topics.entries, "dedupe": topics.articles, "tag": topics.deduped}
    return {
        group_of(settings, stage): consumer_lag(
            settings.kafka_bootstrap, group_of(settings, stage), [topic]
        )
        for stage, topic in inputs.items()
    }


def read_flow(bootstrap: str, topics: Topics, idle_timeout_s: float = 3) -> Flow:
    return Flow(
        topic_messages(bootstrap, topics.entries, idle_timeout_s),
        topic_messages(bootstrap, topics.processed, idle_timeout_s),
        topic_messages(bootstrap, topics.dead_letter, idle_timeout_s),
    )


def articles_processed(bootstrap: str, topics: Topics) -> int:
    return len({m["article_id"] for m in topic_messages(bootstrap, topics.processed, 2)})


def everything_accounted_for(
    bootstrap: str, topics: Topics, good: set[str], site: HostileContent
) -> bool:
    """Every good article processed, and every hostile input processed or dead-lettered."""
    processed = topic_messages(bootstrap, topics.processed, idle_timeout_s=2)
    letters = topic_messages(bootstrap, topics.dead_letter, idle_timeout_s=2)
    ids = {m["article_id"] for m in processed}
    titles = {m.get("title") for m in processed}
    articles = [site.huge_page, site.big_entry, *site.arabic]
    return (
        good <= ids
        and all(a in ids or dead_letters_for(letters, article=a) for a in articles)
        and all(
            t.title in titles or dead_letters_for(letters, title=t.title) for t in site.by_feed_text
        )
    )


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text: str = reply.read().decode("utf-8")
    return text


def log_context(stderr: str) -> list[str]:
    """The last warning of each kind that explains a stall: a stage paused (its batch
    rewound and retried) or a feed's poll failed."""
    last: dict[str, str] = {}
    for line in stderr.splitlines():
        for kind in ("stage paused", "feed poll failed", "handler failed", "stage died"):
            if kind in line:
                stage = line.split("stage=", 1)[1].split()[0] if "stage=" in line else ""
                last[f"{kind} {stage}"] = line.strip()[:400]
    return [f"last '{kind}': {line}" for kind, line in sorted(last.items())]


def test_hostile_input_is_handled_while_good_articles_flow(
    kafka_bootstrap: str,
    redis_url: str,
    namespace: Namespace,
    tmp_path: Path,
    replay: ReplayServer,
    hostile: HostileServer,
) -> None:
    site = hostile.content
    good = good_article_ids(replay, site)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(replay.site.feeds_toml() + "\n" + hostile.feeds_toml(), encoding="utf-8")
    metrics_port = free_port()
    env = pipeline_env(
        kafka=kafka_bootstrap,
        redis=redis_url,
        ns=namespace,
        feeds=feeds,
        state=tmp_path / "state",
        poll_interval_s="3",
        # Fifteen feeds on one host: a short pause between two of them, so that each is
        # polled about as often as its interval asks.
        poll_host_delay_s="0.2",
        # The 5 MB page must meet the size limits, not the time budget: its extraction takes
        # seconds on a busy machine.
        extract_budget_s="60",
        metrics_port=str(metrics_port),
        log_level="WARNING",
    )
    settings = Settings.load(env)  # the pipeline's own names of its topics and groups
    topics = topics_of(settings)
    ensure_topics(kafka_bootstrap, topics.all(), partitions=3)
    stderr_path = tmp_path / "run.stderr"
    with stderr_path.open("wb") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "newsflow", "run"], env=env, stderr=stderr)
    started = time.monotonic()
    replay.site.start_release(RELEASE_PER_S)
    try:
        wait_until(
            lambda: articles_processed(kafka_bootstrap, topics) >= SETTLED_AT,
            240,
            f"the first {SETTLED_AT} good articles, before any hostile input",
        )
        pids_before = stage_pids(run.pid)
        assert set(pids_before) == set(STAGES), f"stage processes running: {pids_before}"
        rss_before = {s: kib for s, pid in pids_before.items() if (kib := resident_kib(pid))}
        hostile.arm()
        armed_at = time.monotonic()
        accounted = holds_within(
            lambda: everything_accounted_for(kafka_bootstrap, topics, good, site), 150
        )
        accounted_s = round(time.monotonic() - armed_at)
        caught_up = accounted and holds_within(
            lambda: lag_problem(group_lags(settings)) is None, 60
        )
        lags = group_lags(settings)
        rss_after = {s: resident_kib(pid) for s, pid in pids_before.items()}
        pids_after = stage_pids(run.pid)
        skipped_total = metric_total(scrape(metrics_port), SKIPPED_SAMPLE)
        flow = read_flow(kafka_bootstrap, topics)
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            exit_code = run.wait(60)
        except subprocess.TimeoutExpired:
            run.kill()
            exit_code = run.wait()
    stderr_text = stderr_path.read_text(encoding="utf-8", errors="replace")
    died = [line for line in stderr_text.splitlines() if "stage died" in line]

    letters = flow.dead_letters
    huge = [m for m in flow.processed if m["article_id"] == site.huge_page]
    big = [m for m in flow.entries if m["article_id"] == site.big_entry]
    titled = {
        t.title: [m for m in flow.processed if m.get("title") == t.title] for t in site.by_feed_text
    }
    figures = {
        "good articles": len(good),
        "good articles processed": len(good & {m["article_id"] for m in flow.processed}),
        "records on the processed topic": len(flow.processed),
        "records on the entries topic": len(flow.entries),
        "entries sent more than once": sum(
            n > 1 for n in Counter(m["article_id"] for m in flow.entries).values()
        ),
        "dead letters by stage and reason": dict(
            Counter(f"{d.get('stage')}:{d.get('error_type')}" for d in letters)
        ),
        "5 MB page": outcome(huge, dead_letters_for(letters, article=site.huge_page)),
        "2 MB entry": entry_outcome(big, dead_letters_for(letters, article=site.big_entry)),
        **{
            title: outcome(mine, dead_letters_for(letters, title=title))
            for title, mine in titled.items()
        },
        "entries counted as skipped": skipped_total,
        "resident MiB before -> after": {
            s: f"{rss_before[s] / 1024:.0f} -> {(rss_after[s] or 0) / 1024:.0f}" for s in rss_before
        },
        "seconds from arming to every input accounted for": accounted_s if accounted else None,
        "consumer lag 0": caught_up,
        "seconds": round(time.monotonic() - started),
    }
    print("\nbad inputs: " + json.dumps(figures, ensure_ascii=False, indent=1))

    problems = {
        "good articles exactly once": good_articles_problem(good, flow.processed),
        "no entry sent twice": resent_entries_problem(flow.entries),
        "5 MB page": oversized_page_problem(site.huge_page, flow.processed, letters),
        "2 MB entry": oversized_entry_problem(
            site.big_entry, BIG_SUMMARY_BYTES, flow.entries, letters
        ),
        **{
            f"feed text of {t.title!r}": feed_text_problem(t.title, t.text, flow.processed, letters)
            for t in site.by_feed_text
        },
        "undeclared windows-1256": arabic_titles_problem(site.arabic, flow.processed, flow.entries),
        "entry with neither link nor text": skipped_entry_problem(
            site.skipped_title, skipped_total, flow.processed
        ),
        "consumer lag": lag_problem(lags),
        "no stage restarted": restart_problem(pids_before, pids_after, died),
        "memory": memory_problem(rss_before, rss_after),
        "clean stop": None if exit_code == 0 else f"newsflow run exited with {exit_code}",
    }
    failed = [f"{check}: {problem}" for check, problem in problems.items() if problem]
    if not accounted:
        failed.append(
            f"(not every input was processed or dead-lettered {accounted_s}s after"
            " the hostile feeds were armed)"
        )
    assert not failed, "\n".join([*failed, *log_context(stderr_text)])
