"""Watching the consumers of the pipeline's output topics: samples of their groups read from
Kafka, judged by workers/consumer_watch.py, served as Prometheus gauges, and each change of
state sent to a webhook (signed, retried, never in the pipeline's way)."""

from __future__ import annotations

import http.client
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError
from kafka.protocol.consumer.offsets import IsolationLevel
from kafka.structs import OffsetAndMetadata
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from adapters.connections import KafkaAddress, kafka_options
from workers.backoff import Backoff
from workers.consumer_watch import (
    SIGNATURE_HEADER,
    STATES,
    ConsumerWatch,
    GroupSample,
    PartitionSample,
    StateChange,
    signature,
)
from workers.errors import TransientError

logger = logging.getLogger(__name__)


def sample_groups(bootstrap: KafkaAddress, topics: Sequence[str]) -> dict[str, GroupSample]:
    """Every consumer group that committed offsets on `topics`: its members, and per
    partition its committed offset, the end (read_committed) and the time of the oldest
    record it has not committed."""
    try:
        return _sample_groups(bootstrap, topics)
    except KafkaError as exc:
        raise TransientError(
            f"cannot read consumer groups from kafka at {bootstrap}: {exc}"
        ) from exc


def _sample_groups(bootstrap: KafkaAddress, topics: Sequence[str]) -> dict[str, GroupSample]:
    wanted = set(topics)
    with KafkaAdminClient(**kafka_options(bootstrap), request_timeout_ms=10000) as admin:
        offsets: dict[str, dict[TopicPartition, OffsetAndMetadata]] = {}
        for group in (g["group_id"] for g in admin.list_groups()):
            try:
                committed = admin.list_group_offsets({group: None}).get(group, {})
            except KafkaError as exc:  # a group going away while we look
                logger.info("group offsets not read group=%s error=%s", group, exc)
                continue
            if found := {tp: o for tp, o in committed.items() if tp.topic in wanted}:
                offsets[group] = found
        if not offsets:
            return {}
        described = admin.describe_groups(list(offsets))
        topics_read = sorted({tp.topic for found in offsets.values() for tp in found})
        every = {
            t["name"]: [TopicPartition(t["name"], p["partition_index"]) for p in t["partitions"]]
            for t in admin.describe_topics(topics_read)
            if not t.get("error_code")
        }
        partitions = sorted({tp for tps in every.values() for tp in tps})
        ends = admin.list_partition_offsets(
            dict.fromkeys(partitions, OffsetSpec.LATEST),
            isolation_level=IsolationLevel.READ_COMMITTED,
        )
    now = time.time()
    end_of = {tp: ends[tp].offset for tp in partitions}
    # Every partition of a topic the group reads, those it never committed on included.
    committed = {
        group: {
            tp: found[tp].offset if tp in found else None
            for topic in {tp.topic for tp in found}
            for tp in every.get(topic, [])
        }
        for group, found in offsets.items()
    }
    waiting = _oldest_waiting(bootstrap, committed, end_of)
    samples = {}
    for group, at in committed.items():
        members = len(described.get(group, {}).get("members", []))
        parts = {}
        for tp, offset in at.items():
            oldest = waiting.get((group, tp))
            # No record between the committed offset and the end: only the markers that end
            # transactions, which a consumer committing record + 1 never passes. Nothing waits.
            end = end_of[tp] if oldest is not None or offset is None else offset
            parts[(tp.topic, tp.partition)] = PartitionSample(offset, end, oldest)
        samples[group] = GroupSample(now, members, parts)
    return samples


def _oldest_waiting(
    bootstrap: KafkaAddress,
    committed: dict[str, dict[TopicPartition, int | None]],
    ends: dict[TopicPartition, int],
) -> dict[tuple[str, TopicPartition], int]:
    """(group, partition) -> timestamp (ms) of the first record the group has not committed
    (read_committed: a transaction's marker is no record)."""
    found: dict[tuple[str, TopicPartition], int] = {}
    reader = KafkaConsumer(
        **kafka_options(bootstrap),
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_poll_records=1,
    )
    try:
        for group, at in committed.items():
            for tp, offset in at.items():
                if (offset or 0) >= ends[tp]:
                    continue
                reader.assign([tp])
                reader.seek(tp, offset or 0)
                for records in reader.poll(timeout_ms=500, max_records=1).values():
                    found[(group, tp)] = records[0].timestamp
    finally:
        reader.close()
    return found


@dataclass
class Webhook:
    """POSTs each state change to `url`, signed with `secret`, from a thread of its own:
    retried with backoff while the receiver fails, dropped (and logged) after `attempts`,
    so a slow or dead receiver never holds the watcher, let alone the pipeline."""

    url: str
    secret: str
    attempts: int = 5
    timeout_s: float = 5.0
    _queue: queue.Queue[StateChange | None] = field(default_factory=queue.Queue)
    _thread: threading.Thread | None = None

    def start(self) -> Webhook:
        self._thread = threading.Thread(target=self._deliver_all, name="webhook", daemon=True)
        self._thread.start()
        return self

    def send(self, change: StateChange) -> None:
        self._queue.put(change)

    def stop(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(self.timeout_s * 2)

    def _deliver_all(self) -> None:
        while (change := self._queue.get()) is not None:
            try:
                self._deliver(change)
            except Exception:  # a bug must not stop later deliveries: logged, and on
                logger.exception("webhook delivery failed group=%s", change.group)

    def _deliver(self, change: StateChange) -> None:
        body = change.body()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                SIGNATURE_HEADER: signature(self.secret, body),
            },
        )
        backoff = Backoff(base_s=0.5, cap_s=30.0)
        for attempt in range(1, self.attempts + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s):
                    return
            except urllib.error.HTTPError as exc:
                if 400 <= exc.code < 500 and exc.code != 429:  # the receiver says no: final
                    logger.error("webhook refused group=%s status=%d", change.group, exc.code)
                    return
                error: Exception = exc
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                error = exc
            logger.warning(
                "webhook not delivered group=%s state=%s attempt=%d error=%s",
                change.group,
                change.state,
                attempt,
                error,
            )
            if attempt < self.attempts:
                time.sleep(backoff.next_delay_s())
        logger.error("webhook given up group=%s state=%s", change.group, change.state)


@dataclass
class ConsumerWatcher:
    """Samples the groups every `interval_s` on a thread of its own and judges them."""

    sample: Callable[[], dict[str, GroupSample]]
    watch: ConsumerWatch
    interval_s: float
    on_change: Callable[[StateChange], None] = lambda change: None
    stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def step(self) -> list[StateChange]:
        try:
            samples = self.sample()
        except TransientError as exc:
            logger.warning("consumer groups not sampled error=%s", exc)
            return []
        with self._lock:
            changes = self.watch.observe(samples)
        for change in changes:
            logger.info(
                "consumer state group=%s state=%s previous=%s lag=%d lag_s=%.1f",
                change.group,
                change.state,
                change.previous,
                change.lag,
                change.lag_seconds,
            )
            self.on_change(change)
        return changes

    def run(self) -> None:
        while not self.stop.is_set():
            self.step()
            self.stop.wait(self.interval_s)

    def start(self) -> ConsumerWatcher:
        threading.Thread(target=self.run, name="consumer-watch", daemon=True).start()
        return self

    def rows(self) -> list[tuple[str, str, GroupSample]]:
        with self._lock:
            return list(self.watch.rows())


@dataclass(eq=False)  # registries keep collectors in a dict: identity, not equality
class ConsumerStateCollector(Collector):
    """newsflow_consumer_lag_seconds{group} and newsflow_consumer_state{group, state}."""

    watcher: ConsumerWatcher

    def collect(self) -> Iterator[GaugeMetricFamily]:
        seconds = GaugeMetricFamily(
            "newsflow_consumer_lag_seconds",
            "Age of the oldest record a consumer group of the output has not committed",
            labels=["group"],
        )
        states = GaugeMetricFamily(
            "newsflow_consumer_state",
            "A consumer group of the output's state (1 for the one it is in)",
            labels=["group", "state"],
        )
        for group, state, sample in self.watcher.rows():
            seconds.add_metric([group], sample.lag_seconds())
            for name in STATES:
                states.add_metric([group, name], 1.0 if name == state else 0.0)
        yield seconds
        yield states
