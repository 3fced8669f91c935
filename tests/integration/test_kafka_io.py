"""The Kafka adapter against the real broker: round trip, commits, rewind, independent client."""

import json
import os
import shutil
import subprocess

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from adapters.kafka_client import (
    KafkaSink,
    KafkaSource,
    committed_offsets,
    ensure_topics,
    read_topic,
)
from schemas.limits import MAX_PAYLOAD_BYTES, MAX_RECORD_BYTES, payload_bytes
from schemas.records import OutRecord
from tests.conftest import Namespace

pytestmark = pytest.mark.integration


def _poll_all(source: KafkaSource, expected: int, attempts: int = 40) -> list:  # type: ignore[type-arg]
    got = []
    for _ in range(attempts):
        got += source.poll(0.5)
        if len(got) >= expected:
            break
    return got


def test_round_trip_commit_and_rewind(kafka_bootstrap: str, namespace: Namespace) -> None:
    topic, group = f"{namespace.topic_prefix}io", f"{namespace.group_prefix}io"
    ensure_topics(kafka_bootstrap, [topic], partitions=2)
    ensure_topics(kafka_bootstrap, [topic], partitions=2)  # a second call changes nothing
    sink = KafkaSink.connect(kafka_bootstrap)
    for i in range(6):
        sink.send(OutRecord(topic, f"key-{i}", json.dumps({"n": i, "text": "نص"}).encode()))
    sink.flush()
    source = KafkaSource.connect(kafka_bootstrap, group, [topic])
    batch = _poll_all(source, 6)
    assert sorted(json.loads(r.value)["n"] for r in batch) == list(range(6))
    assert all(r.key == f"key-{json.loads(r.value)['n']}".encode() for r in batch)

    source.rewind(batch)
    again = _poll_all(source, 6)
    assert sorted((r.partition, r.offset) for r in again) == sorted(
        (r.partition, r.offset) for r in batch
    )

    source.commit(again)
    offsets = committed_offsets(kafka_bootstrap, group)
    ends: dict[tuple[str, int], int] = {}
    for r in again:
        ends[(r.topic, r.partition)] = max(ends.get((r.topic, r.partition), 0), r.offset + 1)
    assert {k: v for k, v in offsets.items() if k in ends} == ends
    source.close()
    sink.close()


def test_independent_client_reads_our_json(kafka_bootstrap: str, namespace: Namespace) -> None:
    kcat = shutil.which("kcat")
    assert kcat is not None, "kcat (Debian package) is needed: `make deps-system` installs it"
    topic = f"{namespace.topic_prefix}kcat"
    ensure_topics(kafka_bootstrap, [topic], partitions=1)
    sink = KafkaSink.connect(kafka_bootstrap)
    sink.send(OutRecord(topic, "k1", json.dumps({"title": "خبر"}, ensure_ascii=False).encode()))
    sink.flush()
    sink.close()
    done = subprocess.run(
        [
            kcat,
            "-C",
            "-b",
            kafka_bootstrap,
            "-t",
            topic,
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%k\t%s\n",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == 'k1\t{"title": "خبر"}'
    ours = list(read_topic(kafka_bootstrap, topic, from_beginning=True, idle_timeout_s=5))
    assert [json.loads(r.value) for r in ours] == [{"title": "خبر"}]


def test_a_record_near_the_limit_travels_compressed_and_comes_back_whole(
    kafka_bootstrap: str, namespace: Namespace
) -> None:
    """3 MB of text, over kafka-python's default request size (1 MiB) and a consumer's
    default partition fetch size, within the pipeline's limit (schemas/limits.py)."""
    topic, group = f"{namespace.topic_prefix}big", f"{namespace.group_prefix}big"
    ensure_topics(kafka_bootstrap, [topic], partitions=1)
    value = json.dumps({"body": "نص طويل جدا " * 150_000}, ensure_ascii=False).encode()
    assert 3_000_000 < len(value) < MAX_PAYLOAD_BYTES
    sink = KafkaSink.connect(kafka_bootstrap)
    assert sink.send(OutRecord(topic, "big", value)) is None
    assert sink.flush() == []
    source = KafkaSource.connect(kafka_bootstrap, group, [topic])
    [got] = _poll_all(source, 1)
    assert got.value == value
    source.close()
    sink.close()


def test_records_over_a_limit_come_back_refused_never_as_transient(
    kafka_bootstrap: str, namespace: Namespace
) -> None:
    """Over the producer's limit: refused at send. Over a topic's own smaller limit: the
    broker refuses it, and flush says which record."""
    topic, small = f"{namespace.topic_prefix}limit", f"{namespace.topic_prefix}small-limit"
    ensure_topics(kafka_bootstrap, [topic], partitions=1)
    with KafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        admin.create_topics([NewTopic(small, 1, 1, topic_configs={"max.message.bytes": "20000"})])
    sink = KafkaSink.connect(kafka_bootstrap)
    too_big = OutRecord(topic, "k", b"x" * (MAX_RECORD_BYTES + 1))
    refused = sink.send(too_big)
    assert refused is not None and refused.error_type == "too_large"
    assert refused.record is too_big and f"{payload_bytes(too_big):,} bytes" in refused.reason

    # Random bytes: zstd cannot pack them under the topic's limit. The producer stops at
    # the broker's refusal and fails its other batches too: only the big one is refused.
    over_topic = OutRecord(small, "big", os.urandom(60_000))
    neighbours = [OutRecord(topic, f"n{i}", b"small") for i in range(5)]
    assert sink.send(over_topic) is None
    assert all(sink.send(record) is None for record in neighbours)
    [refusal] = sink.flush()
    assert refusal.record is over_topic and refusal.error_type == "too_large"
    assert sink.send(OutRecord(small, "fine", b"small")) is None
    assert sink.flush() == []  # the sink goes on after a refusal
    source = KafkaSource.connect(kafka_bootstrap, f"{namespace.group_prefix}limit", [topic])
    assert sorted(r.key for r in _poll_all(source, 5)) == [f"n{i}".encode() for i in range(5)]
    source.close()
    sink.close()
