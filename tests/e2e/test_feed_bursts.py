"""Bursts through short feed windows, end to end: the poller stage (`newsflow run --stage
poller`, real Kafka and Redis) against the replay server, whose feeds list only their newest
20 stories while outlets publish 60 within 2 s after a quiet spell, twice (within 2 s, not
10: at the poller's interval then, a burst outruns the window whatever the timing; a
slower one would outrun it only by chance). Goals: no
entry lost on the feeds that page their older entries (RFC 5005, WordPress); on the feed
that does not, every lost entry inside a gap the poller reported; and a steady feed polled
no faster than the bounds allow and missing nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.feed_state import RedisFeedState
from adapters.kafka_client import ensure_topics
from adapters.redis_client import connect_redis
from ingest.canonical_url import article_id, canonical_url
from schemas.topics import Topics
from services.replay_server import FeedStyle, Outlet, Release, ReplayServer, Story, StorySet
from tests.conftest import Namespace
from tests.e2e.pipeline_run import pipeline_env, topic_messages

pytestmark = pytest.mark.e2e

WINDOW = 20
BURSTS_AT_S = (15.0, 35.0)  # after a quiet spell that lets the interval grow to about 5 s
BURST, BURST_S = 60, 2.0
STEADY_EVERY_S, RUN_S = 1.5, 45.0
MIN_S, MAX_S = 1.0, 6.0
BURSTY = {"plain": "none", "rfc": "rfc5005", "wp": "wordpress"}


def _timeline() -> list[tuple[str, float]]:
    """(outlet, seconds after release) of every story, in publication order."""
    timeline = [(slug, 0.0) for slug in BURSTY for _ in range(5)]
    for start in BURSTS_AT_S:
        for k in range(BURST):
            timeline += [(slug, start + BURST_S * k / (BURST - 1)) for slug in BURSTY]
    steps = int(RUN_S / STEADY_EVERY_S) - 5
    timeline += [("steady", STEADY_EVERY_S * k) for k in range(steps)]
    return sorted(timeline, key=lambda item: item[1])


def _stories(release_at: float) -> tuple[StorySet, dict[tuple[str, str], float]]:
    outlets = tuple(Outlet(slug, f"Outlet {slug}", "en") for slug in [*BURSTY, "steady"])
    stories, at_s = [], {}
    for n, (outlet, offset) in enumerate(_timeline()):
        when = datetime.fromtimestamp(release_at + offset, UTC)
        stories.append(
            Story(outlet, f"s{n}", f"Story {n}", when.isoformat(), (f"Story {n} of {outlet}.",))
        )
        at_s[(outlet, f"s{n}")] = offset
    return StorySet(outlets, tuple(stories)), at_s


@pytest.fixture
def bursty_site() -> Iterator[ReplayServer]:
    stories, at_s = _stories(time.time() + 2.0)
    styles = {slug: FeedStyle(WINDOW, paging) for slug, paging in BURSTY.items()}  # type: ignore[arg-type]
    server = ReplayServer.start(stories, release=Release(window=WINDOW, at_s=at_s), styles=styles)
    yield server
    server.stop()


def _article_ids(site: ReplayServer, outlet: str) -> dict[str, float]:
    """Article id -> publication time of the outlet's stories, as the poller names them and
    as the feed dates them (RSS dates to the second)."""
    base = site.site.base_url
    return {
        article_id(canonical_url(f"{base}/{outlet}/{s.slug}.html")): float(
            int(datetime.fromisoformat(s.published).timestamp())
        )
        for s in site.site.stories.of(outlet)
    }


def test_bursts_are_read_whole_from_pages_and_reported_where_a_feed_has_none(
    kafka_bootstrap: str,
    redis_url: str,
    namespace: Namespace,
    bursty_site: ReplayServer,
    tmp_path: Path,
) -> None:
    topics = Topics(namespace.topic_prefix)
    ensure_topics(kafka_bootstrap, topics.all(), partitions=1)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(bursty_site.site.feeds_toml(), encoding="utf-8")
    env = pipeline_env(
        kafka_bootstrap,
        redis_url,
        namespace,
        feeds,
        tmp_path / "state",
        metrics_port="0",
        poll_interval_s="2",
        poll_min_interval_s=str(MIN_S),
        poll_max_interval_s=str(MAX_S),
        poll_host_delay_s="0.05",
    )
    log_path = tmp_path / "poller.log"
    with log_path.open("wb") as log:
        poller = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "run", "--stage", "poller"],
            env=env,
            stdout=log,
            stderr=log,
        )
        try:
            time.sleep(2.0)  # the first polls read the feeds before the release
            bursty_site.site.start_release()
            time.sleep(RUN_S + 2 * MAX_S)  # the last stories out, and read
        finally:
            poller.terminate()
            exit_code = poller.wait(60)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert exit_code == 0, output[-4000:]
    sent = {m["article_id"] for m in topic_messages(kafka_bootstrap, topics.entries)}

    for outlet in ("rfc", "wp"):
        expected = _article_ids(bursty_site, outlet)
        assert set(expected) - sent == set(), f"{outlet}: lost entries\n{output[-4000:]}"
    pages = [t for t in bursty_site.site.requests if "page=" in t or "paged=" in t]
    assert pages, "the paged feeds were never read past their first page"

    client = connect_redis(redis_url)
    try:
        state = RedisFeedState(client, namespace.redis_prefix)
        base = bursty_site.site.base_url
        plain = _article_ids(bursty_site, "plain")
        lost = {i: when for i, when in plain.items() if i not in sent}
        gaps = state.pace(f"{base}/feeds/plain.xml").gaps
        assert lost, "the plain feed lost nothing: the bursts did not outrun its window"
        assert gaps and state.health(f"{base}/feeds/plain.xml").gaps_last_day == len(gaps)
        unaccounted = [i for i, when in lost.items() if not any(g.may_hold(when) for g in gaps)]
        assert unaccounted == [], (
            f"{len(unaccounted)} of {len(lost)} lost entries unreported: lost at "
            f"{sorted({lost[i] for i in unaccounted})}, gaps {gaps}\n{output[-3000:]}"
        )
        for outlet in ("rfc", "wp", "steady"):
            assert state.pace(f"{base}/feeds/{outlet}.xml").gaps == ()
    finally:
        client.close()
    assert "feed gap: entries may be missing feed=" in output

    assert set(_article_ids(bursty_site, "steady")) <= sent
    steady_polls = bursty_site.site.requests["/feeds/steady.xml"]
    # Never faster than the bounds: at most one poll a jittered minimum interval.
    assert steady_polls <= (RUN_S + 2 * MAX_S + 2) / (0.9 * MIN_S) + 1
