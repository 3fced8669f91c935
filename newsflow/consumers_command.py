"""`newsflow consumers [--watch]`: the consumer groups of the output topics, judged as Burrow
judges them (workers/consumer_watch.py): members, lag in records and in seconds, state."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from functools import partial

from adapters.connections import KafkaAddress
from adapters.consumer_watcher import ConsumerWatcher, Webhook, sample_groups
from newsflow.settings import Settings
from newsflow.stages import topics_of
from workers.consumer_watch import ConsumerWatch, GroupSample

CLEAR = "\x1b[H\x1b[2J"  # cursor home, clear screen: the view refreshes in place


def watched_topics(settings: Settings) -> list[str]:
    topics = topics_of(settings)
    return [topics.processed, topics.stories, topics.dead_letter]


def consumer_watcher(
    settings: Settings, bootstrap: KafkaAddress
) -> tuple[ConsumerWatcher, Webhook | None]:
    """The watcher of the output's consumer groups, with the webhook when one is set."""
    webhook = (
        Webhook(settings.webhook_url, settings.webhook_secret).start()
        if settings.webhook_url
        else None
    )
    watcher = ConsumerWatcher(
        sample=partial(sample_groups, bootstrap, watched_topics(settings)),
        watch=ConsumerWatch(settings.consumer_window, settings.consumer_stopped_after_s),
        interval_s=settings.consumer_watch_interval_s,
        on_change=webhook.send if webhook else lambda change: None,
    )
    return watcher, webhook


def at_one_look(
    samples: Sequence[tuple[str, GroupSample]],
) -> list[tuple[str, str, GroupSample]]:
    """Rows of groups seen once: one look judges nothing over time, but a group with no
    member is gone."""
    return [(group, "gone" if s.members == 0 else "-", s) for group, s in samples]


def format_consumers(rows: Sequence[tuple[str, str, GroupSample]]) -> list[str]:
    lines = [f"{'group':<32} {'state':<8} {'members':>7} {'lag':>8} {'lag s':>8}  partitions"]
    for group, state, sample in rows:
        parts = " ".join(
            f"{topic.rsplit('.', 2)[-2]}[{partition}]={p.lag}"
            for (topic, partition), p in sorted(sample.partitions.items())
        )
        lines.append(
            f"{group[:32]:<32} {state:<8} {sample.members:>7} {sample.lag:>8} "
            f"{sample.lag_seconds():>8.1f}  {parts}"
        )
    if not rows:
        lines.append("(no consumer group has committed on the output topics)")
    return lines


def run_consumers(settings: Settings, watch: bool) -> int:
    watcher, webhook = consumer_watcher(settings, settings.kafka())
    try:
        while True:
            watcher.step()
            if not watch:
                rows = at_one_look([(group, sample) for group, _, sample in watcher.rows()])
                print("\n".join(format_consumers(rows)))
                return 0
            lines = format_consumers(watcher.rows())
            sys.stdout.write(CLEAR + "\n".join(lines) + "\n")
            sys.stdout.flush()
            time.sleep(settings.consumer_watch_interval_s)
    except KeyboardInterrupt:
        return 0
    finally:
        if webhook is not None:
            webhook.stop()
