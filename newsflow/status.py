"""`newsflow status`: feeds' health, consumer lag per partition, and the last minutes' flow."""

from __future__ import annotations

import json
import textwrap
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.consumer_watcher import sample_groups
from adapters.feed_state import RedisFeedState
from adapters.kafka_client import PartitionLag, consumer_lag, read_topic
from adapters.redis_client import connect_redis, ping_redis
from ingest.feed_health import FeedHealth, with_gaps
from ingest.feeds import FeedConfig, load_feeds
from newsflow.consumers_command import at_one_look, format_consumers, watched_topics
from newsflow.settings import Settings
from newsflow.stages import group_of, stage_inputs, topics_of


@dataclass(frozen=True)
class Recent:
    window_s: int
    relations: Counter[str]
    dead_letters: int

    @property
    def processed(self) -> int:
        return sum(self.relations.values())


def _when(iso: str) -> str:
    return iso[11:19] if iso else "never"


STATUS_WIDTH = 100  # characters a line, the wrap of the feeds' errors
_ERROR_LABEL = "  last error: "


def _wrapped_error(error: str, width: int) -> list[str]:
    """The whole error under its feed's row, wrapped to `width`, continuation lines aligned
    after the label; the error's own line breaks kept (a parser's message may have some)."""
    wrapper = textwrap.TextWrapper(
        width=max(width, len(_ERROR_LABEL) + 20),
        initial_indent=_ERROR_LABEL,
        subsequent_indent=" " * len(_ERROR_LABEL),
        break_on_hyphens=False,
    )
    lines: list[str] = []
    for part in (line for line in error.splitlines() if line.strip()):
        lines += wrapper.wrap(part)
        wrapper.initial_indent = wrapper.subsequent_indent
    return lines


def format_feeds(
    feeds: Sequence[tuple[FeedConfig, FeedHealth]], width: int = STATUS_WIDTH
) -> list[str]:
    """One row a feed; under it, its last error in full, the entries its last poll skipped,
    and its last gap (entries it may have missed) when it had one in the last 24 hours."""
    lines = [
        f"{'outlet':<24} {'status':<12} {'last ok':<8} {'errors':>6} {'skipped':>7} "
        f"{'gaps 24h':>8} {'next':<8}"
    ]
    for feed, health in feeds:
        lines.append(
            f"{feed.outlet[:24]:<24} {health.last_status or 'not polled':<12} "
            f"{_when(health.last_success_at):<8} {health.errors_in_a_row:>6} "
            f"{health.skipped_count:>7} {health.gaps_last_day:>8} {_when(health.next_poll_at):<8}"
        )
        lines += _wrapped_error(health.last_error, width)
        if health.skipped_entries:
            lines.append(f"  skipped entries: {health.skipped_entries}")
        if health.gaps_last_day:
            lines.append(
                f"  last gap: {health.last_gap_at}, entries may be missing: "
                f"{health.last_gap_missed}"
            )
    return lines


def format_lag(lags: Sequence[tuple[str, PartitionLag]]) -> list[str]:
    lines = [f"{'group':<28} {'topic':<24} {'part':>4} {'committed':>10} {'end':>8} {'lag':>6}"]
    for group, lag in lags:
        committed = "-" if lag.committed is None else str(lag.committed)
        lines.append(
            f"{group[:28]:<28} {lag.topic[:24]:<24} {lag.partition:>4} {committed:>10} "
            f"{lag.end:>8} {lag.lag:>6}"
        )
    return lines


def format_recent(recent: Recent) -> list[str]:
    minutes = recent.window_s / 60
    rate = recent.processed / recent.window_s
    duplicates = recent.processed - recent.relations.get("original", 0)
    share = duplicates / recent.processed if recent.processed else 0.0
    by_relation = ", ".join(f"{k} {v}" for k, v in sorted(recent.relations.items()))
    return [
        f"last {minutes:.0f} min: {recent.processed} processed ({rate:.2f}/s), "
        f"{duplicates} duplicates ({share:.0%}), {recent.dead_letters} dead letters",
        f"by relation: {by_relation or 'none'}",
    ]


def gather_recent(settings: Settings, window_s: int) -> Recent:
    since_ms = int((time.time() - window_s) * 1000)
    topics = topics_of(settings)

    def records(topic: str) -> list[bytes]:
        found = read_topic(
            settings.kafka(),
            topic,
            from_beginning=False,
            idle_timeout_s=2.0,
            since_ms=since_ms,
        )
        return [r.value for r in found]

    relations = Counter(json.loads(v)["dedupe"]["relation"] for v in records(topics.processed))
    return Recent(window_s, relations, len(records(topics.dead_letter)))


def feeds_health(settings: Settings) -> list[tuple[FeedConfig, FeedHealth]]:
    """Each feed of the feeds file with its health and its gaps of the last 24 hours."""
    ping_redis(settings.redis())  # a refused login or certificate: AccessRefused, named
    client = connect_redis(settings.redis())
    try:
        state = RedisFeedState(client, settings.redis_key_prefix)
        now = time.time()
        return [
            (f, with_gaps(state.health(f.url), state.pace(f.url), now))
            for f in load_feeds(settings.feeds_file)
        ]
    finally:
        client.close()


def stage_lags(settings: Settings) -> list[tuple[str, PartitionLag]]:
    """The lag of each stage's group on its input, per partition."""
    return [
        (group_of(settings, stage), lag)
        for stage, topic in stage_inputs(settings).items()
        for lag in consumer_lag(settings.kafka(), group_of(settings, stage), [topic])
    ]


def status_lines(settings: Settings, window_s: int) -> list[str]:
    lines = [f"feeds ({settings.feeds_file})"]
    if settings.feeds_file.exists():
        lines += format_feeds(feeds_health(settings))
    else:
        lines.append("  (no feeds file)")
    lines += ["", "consumer lag", *format_lag(stage_lags(settings)), ""]
    lines += ["consumers of the output (judged over time: newsflow consumers --watch)"]
    samples = sample_groups(settings.kafka(), watched_topics(settings))
    lines += [*format_consumers(at_one_look(sorted(samples.items()))), ""]
    lines += format_recent(gather_recent(settings, window_s))
    return lines
