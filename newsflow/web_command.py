"""The newsroom view (`newsflow web`, and `newsflow run` with `web_port`): the processed topic
followed without a consumer group, folded into stories; feeds and pipeline read on demand.
It reads the pipeline's state and never writes it."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from adapters.connections import KafkaAddress
from adapters.consumer_watcher import sample_groups
from adapters.kafka_client import TopicTail, read_topic
from adapters.web_server import TICK_S, LiveStories, WebServer, WebSources, newsroom_app
from newsflow.consumers_command import at_one_look, watched_topics
from newsflow.explain import explain
from newsflow.settings import Settings, SettingsError
from newsflow.stages import topics_of
from newsflow.status import feeds_health, stage_lags
from newsroom.pages import (
    ConsumerRow,
    DeadLetterRow,
    FeedRow,
    LagRow,
    PipelineView,
    articles_last_day,
)
from newsroom.stream import StoryWindow
from schemas.records import InRecord
from workers.errors import TransientError

logger = logging.getLogger(__name__)

DEAD_LETTERS_SHOWN = 20
T = TypeVar("T")


def _explain(article: Mapping[str, Any], matched: Mapping[str, Any] | None) -> list[str]:
    return explain(dict(article), dict(matched) if matched is not None else None)


@dataclass
class Newsroom:
    """The view's server and the thread that follows the processed topic."""

    server: WebServer
    follower: threading.Thread
    live: LiveStories

    @property
    def url(self) -> str:
        host = self.server.server.config.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.server.port}/"

    @property
    def alive(self) -> bool:
        return self.server.thread.is_alive() and self.follower.is_alive()

    def stop(self) -> None:
        self.live.closing.set()
        self.live.streams_ended.wait(4 * TICK_S)  # the live streams end before the server
        self.server.stop()
        self.follower.join(10)


def start_newsroom(settings: Settings) -> Newsroom:
    """The server first (a port taken fails before anything else runs), then the thread
    that reads the last `web_history_h` hours of the processed topic and follows it."""
    live = LiveStories(StoryWindow(settings.web_window_stories))
    sources = WebSources(
        feeds=lambda: _feed_rows(settings, live),
        pipeline=lambda: _pipeline_view(settings),
        explain=_explain,
    )
    server = WebServer.start(
        newsroom_app(live, sources, settings.web_token), settings.web_host, settings.web_port
    )
    since_ms = int((time.time() - settings.web_history_h * 3600) * 1000)
    tail = TopicTail.open(settings.kafka(), topics_of(settings).processed, since_ms)
    follower = threading.Thread(
        target=_follow, args=(tail, live), name="newsroom-follow", daemon=True
    )
    follower.start()
    newsroom = Newsroom(server, follower, live)
    logger.info("newsroom view at %s", newsroom.url)
    return newsroom


def _follow(tail: TopicTail, live: LiveStories) -> None:
    """Every processed record into the view until the view closes; a broker away is
    waited out, a record that is not an article is logged and skipped."""
    try:
        while not live.closing.is_set():
            try:
                records = tail.poll(0.5)
            except TransientError as exc:
                logger.warning("newsroom view cannot read the processed topic error=%s", exc)
                live.closing.wait(2.0)
                continue
            for record in records:
                _fold(live, record)
    finally:
        tail.close()


def _fold(live: LiveStories, record: InRecord) -> None:
    try:
        message = json.loads(record.value)
        if not isinstance(message, dict) or "article_id" not in message:
            raise ValueError("not an article object")
        live.add(message)
    except (ValueError, TypeError, AttributeError) as exc:
        # The stages validate what they write: this is a record from elsewhere.
        logger.warning(
            "newsroom view skipped a record partition=%d offset=%d error=%r",
            record.partition,
            record.offset,
            exc,
        )


def _feed_rows(settings: Settings, live: LiveStories) -> list[FeedRow]:
    if not settings.feeds_file.exists():
        return []
    counts = live.render(lambda window, _: articles_last_day(window))
    return [
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
        for feed, health in feeds_health(settings)
    ]


def _pipeline_view(settings: Settings) -> PipelineView:
    """Each part read on its own: one that cannot be read is said, the others shown."""
    problems: list[str] = []

    def part(what: str, read: Callable[[], list[T]]) -> list[T]:
        try:
            return read()
        except Exception as exc:  # the boundary: shown on the page and logged once
            logger.warning("newsroom pipeline page part=%s error=%r", what, exc)
            problems.append(f"{what} could not be read: {exc}")
            return []

    bootstrap = settings.kafka()
    stages = part(
        "the stages' lag",
        lambda: [
            LagRow(group, lag.topic, lag.partition, lag.committed, lag.end, lag.lag)
            for group, lag in stage_lags(settings)
        ],
    )
    consumers = part(
        "the output's consumers",
        lambda: [
            ConsumerRow(group, state, s.members, s.lag, s.lag_seconds())
            for group, state, s in at_one_look(
                sorted(sample_groups(bootstrap, watched_topics(settings)).items())
            )
        ],
    )
    dead_letter = topics_of(settings).dead_letter
    dead = part("the dead letters", lambda: _dead_letters(bootstrap, dead_letter))
    return PipelineView(stages, consumers, dead, problems)


def _dead_letters(bootstrap: KafkaAddress, topic: str) -> list[DeadLetterRow]:
    since_ms = int((time.time() - 86_400) * 1000)
    found = read_topic(
        bootstrap, topic, from_beginning=False, idle_timeout_s=1.0, since_ms=since_ms
    )
    rows = []
    for record in found:
        try:
            letter = json.loads(record.value)
        except ValueError:
            continue  # not ours: the stages write JSON only
        if isinstance(letter, dict):
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
    if not settings.web_port:
        raise SettingsError(["web_port is 0 (no view): set NEWSFLOW_WEB_PORT to serve it"])
    newsroom = start_newsroom(settings)
    print(f"newsroom view at {newsroom.url} (Ctrl-C to stop)", flush=True)
    try:
        while newsroom.alive:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        newsroom.stop()
    return 0
