"""The newsroom view (`newsflow web`, and `newsflow run` with `web_port`): the processed topic
followed without a consumer group, folded into stories; feeds and pipeline read on demand.
It reads the pipeline's state and never writes it."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.consumer_watcher import sample_groups
from adapters.feed_state import RedisFeedState
from adapters.kafka_client import TopicTail, consumer_lag, read_topic
from adapters.redis_client import connect_redis
from adapters.web_server import LiveStories, WebServer, WebSources, newsroom_app
from ingest.feed_health import with_gaps
from ingest.feeds import load_feeds
from newsflow.consumers_command import at_one_look, watched_topics
from newsflow.explain import explain
from newsflow.settings import Settings
from newsflow.stages import group_of, topics_of
from newsroom.pages import (
    ConsumerRow,
    DeadLetterRow,
    FeedRow,
    LagRow,
    PipelineView,
    articles_last_day,
)
from newsroom.stream import StoryWindow
from workers.errors import TransientError

logger = logging.getLogger(__name__)

DEAD_LETTERS_SHOWN = 20


def _explain(article: Mapping[str, Any], matched: Mapping[str, Any] | None) -> list[str]:
    return explain(dict(article), dict(matched) if matched is not None else None)


@dataclass
class Newsroom:
    """The view's server and the thread that follows the processed topic."""

    server: WebServer
    follower: threading.Thread
    stop_event: threading.Event
    live: LiveStories

    @property
    def url(self) -> str:
        return f"http://{self.server.server.config.host}:{self.server.port}/"

    def stop(self) -> None:
        self.stop_event.set()
        self.server.stop()
        self.follower.join(10)


def start_newsroom(settings: Settings, bootstrap: str) -> Newsroom:
    live = LiveStories(StoryWindow(settings.web_window_stories))
    stop = threading.Event()
    since_ms = int((time.time() - settings.web_history_h * 3600) * 1000)
    tail = TopicTail.open(bootstrap, topics_of(settings).processed, since_ms)
    follower = threading.Thread(
        target=_follow, args=(tail, live, stop), name="newsroom-follow", daemon=True
    )
    follower.start()
    sources = WebSources(
        feeds=lambda: _feed_rows(settings, live),
        pipeline=lambda: _pipeline_view(settings, bootstrap),
        explain=_explain,
    )
    app = newsroom_app(live, sources, settings.web_token)
    server = WebServer.start(app, settings.web_host, settings.web_port)
    newsroom = Newsroom(server, follower, stop, live)
    logger.info("newsroom view at %s", newsroom.url)
    return newsroom


def _follow(tail: TopicTail, live: LiveStories, stop: threading.Event) -> None:
    """Every processed record into the view, until stopped; a broker away is waited out."""
    try:
        while not stop.is_set():
            try:
                records = tail.poll(0.5)
            except TransientError as exc:
                logger.warning("newsroom view cannot read the processed topic error=%s", exc)
                stop.wait(2.0)
                continue
            for record in records:
                try:
                    live.add(json.loads(record.value))
                except (ValueError, KeyError, TypeError) as exc:
                    # The stages validate what they write: this is a foreign record.
                    logger.warning(
                        "newsroom view skipped a record offset=%d error=%r", record.offset, exc
                    )
    finally:
        tail.close()


def _feed_rows(settings: Settings, live: LiveStories) -> list[FeedRow]:
    if not settings.feeds_file.exists():
        return []
    counts = live.render(lambda window: articles_last_day(window))
    client = connect_redis(settings.redis_url)
    try:
        state = RedisFeedState(client, settings.redis_key_prefix)
        now = time.time()
        rows = []
        for feed in load_feeds(settings.feeds_file):
            health = with_gaps(state.health(feed.url), state.pace(feed.url), now)
            rows.append(
                FeedRow(
                    outlet=feed.outlet,
                    url=feed.url,
                    status=health.last_status,
                    last_success_at=health.last_success_at,
                    errors_in_a_row=health.errors_in_a_row,
                    last_error=health.last_error,
                    next_poll_at=health.next_poll_at,
                    articles_last_day=counts.get(feed.url, 0),
                    gaps_last_day=health.gaps_last_day,
                    last_gap=health.last_gap_missed,
                )
            )
        return rows
    finally:
        client.close()


def _pipeline_view(settings: Settings, bootstrap: str) -> PipelineView:
    topics = topics_of(settings)
    inputs = {"extract": topics.entries, "dedupe": topics.articles, "tag": topics.deduped}
    stages = [
        LagRow(group_of(settings, stage), lag.topic, lag.partition, lag.committed, lag.end, lag.lag)
        for stage, topic in inputs.items()
        for lag in consumer_lag(bootstrap, group_of(settings, stage), [topic])
    ]
    samples = sample_groups(bootstrap, watched_topics(settings))
    consumers = [
        ConsumerRow(group, state, s.members, s.lag, s.lag_seconds())
        for group, state, s in at_one_look(sorted(samples.items()))
    ]
    return PipelineView(stages, consumers, _dead_letters(bootstrap, topics.dead_letter))


def _dead_letters(bootstrap: str, topic: str) -> list[DeadLetterRow]:
    since_ms = int((time.time() - 86_400) * 1000)
    found = read_topic(
        bootstrap, topic, from_beginning=False, idle_timeout_s=1.0, since_ms=since_ms
    )
    rows = []
    for record in found:
        try:
            letter = json.loads(record.value)
        except ValueError:
            continue
        rows.append(
            DeadLetterRow(
                at=str(letter.get("failed_at", "")),
                stage=str(letter.get("stage", "")),
                error_type=str(letter.get("error_type", "")),
                error=str(letter.get("error", "")),
            )
        )
    return rows[::-1][:DEAD_LETTERS_SHOWN]


def run_web(settings: Settings) -> int:
    """`newsflow web`: the view alone, against a running pipeline, until Ctrl-C."""
    newsroom = start_newsroom(settings, settings.kafka_bootstrap)
    print(f"newsroom view at {newsroom.url} (Ctrl-C to stop)", flush=True)
    try:
        while newsroom.server.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        newsroom.stop()
    return 0
