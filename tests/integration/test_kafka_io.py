"""The Kafka adapter against the real broker: round trip, commits, rewind, independent client."""

import json
import shutil
import subprocess

import pytest

from adapters.kafka_client import (
    KafkaSink,
    KafkaSource,
    committed_offsets,
    ensure_topics,
    read_topic,
)
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
        [kcat, "-C", "-b", kafka_bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
         "-f", "%k\t%s\n"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == 'k1\t{"title": "خبر"}'
    ours = list(read_topic(kafka_bootstrap, topic, from_beginning=True, idle_timeout_s=5))
    assert [json.loads(r.value) for r in ours] == [{"title": "خبر"}]
