"""Exactly once against the real broker: a stage's outputs and its input offsets commit in
one transaction; an aborted one is never read by a read_committed consumer and its input
comes again; a restarted process fences its predecessor; a record the broker refuses
inside a transaction dooms only that transaction, and is refused at send the next time."""

from __future__ import annotations

import os

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata, TopicPartition

from adapters.kafka_client import (
    KafkaSink,
    KafkaSource,
    committed_offsets,
    consumer_lag,
    ensure_topics,
    read_topic,
)
from schemas.records import InRecord, OutRecord
from tests.conftest import Namespace
from workers.errors import PipelineError, TransientError

pytestmark = pytest.mark.integration


def _poll(source: KafkaSource, expected: int) -> list[InRecord]:
    got: list[InRecord] = []
    for _ in range(40):
        got += source.poll(0.5)
        if len(got) >= expected:
            break
    return got


def _committed_values(bootstrap: str, topic: str) -> list[bytes]:
    return [r.value for r in read_topic(bootstrap, topic, from_beginning=True, idle_timeout_s=2)]


def _out(topic: str, record: InRecord) -> OutRecord:
    return OutRecord(topic, (record.key or b"").decode(), b"out-" + record.value)


def _inputs(bootstrap: str, topic: str, count: int) -> None:
    plain = KafkaSink.connect(bootstrap)
    for n in range(count):
        plain.send(OutRecord(topic, f"k{n}", f"in-{n}".encode()))
    assert plain.flush() == []
    plain.close()


def test_outputs_and_offsets_commit_together_and_an_abort_leaves_nothing(
    kafka_bootstrap: str, namespace: Namespace
) -> None:
    source_topic, out = f"{namespace.topic_prefix}tx-in", f"{namespace.topic_prefix}tx-out"
    group = f"{namespace.group_prefix}tx"
    ensure_topics(kafka_bootstrap, [source_topic, out], partitions=1)
    _inputs(kafka_bootstrap, source_topic, 6)
    sink = KafkaSink.connect(kafka_bootstrap, f"{namespace.group_prefix}tx-stage-0")
    source = KafkaSource.connect(kafka_bootstrap, group, [source_topic], transaction=sink)

    batch = _poll(source, 6)
    for record in batch[:3]:
        assert sink.send(_out(out, record)) is None
    assert sink.flush() == []
    source.commit(batch[:3])
    for record in batch[3:]:
        assert sink.send(_out(out, record)) is None
    assert sink.flush() == []
    source.rewind(batch[3:])  # a transient failure: the open transaction is aborted

    assert _committed_values(kafka_bootstrap, out) == [b"out-in-0", b"out-in-1", b"out-in-2"]
    assert committed_offsets(kafka_bootstrap, group)[(source_topic, 0)] == 3
    again = _poll(source, 3)
    assert [r.offset for r in again] == [3, 4, 5]  # the aborted inputs come again
    for record in again:
        sink.send(_out(out, record))
    sink.flush()
    source.commit(again)
    assert _committed_values(kafka_bootstrap, out) == [f"out-in-{n}".encode() for n in range(6)]
    source.close()
    sink.close()


def _send_one(sink: KafkaSink, record: OutRecord) -> None:
    assert sink.send(record) is None
    sink.flush()
    sink.commit()


def test_a_restarted_process_fences_its_predecessor(
    kafka_bootstrap: str, namespace: Namespace
) -> None:
    out = f"{namespace.topic_prefix}tx-fence"
    ensure_topics(kafka_bootstrap, [out], partitions=1)
    same_id = f"{namespace.group_prefix}tx-fence-0"
    old = KafkaSink.connect(kafka_bootstrap, same_id)
    assert old.send(OutRecord(out, "k", b"left open by a process that died")) is None
    old.flush()
    new = KafkaSink.connect(kafka_bootstrap, same_id)  # aborts the open transaction
    assert new.send(OutRecord(out, "k", b"from the restarted process")) is None
    new.flush()
    new.commit()
    with pytest.raises(PipelineError, match="fenced") as fenced:
        old.send(OutRecord(out, "k", b"from the zombie"))
        old.flush()
        old.commit()
    assert not isinstance(fenced.value, TransientError)  # the zombie stops, it does not retry
    try:
        _send_one(new, OutRecord(out, "k", b"the successor goes on"))
    except PipelineError:
        # kafka-python's zombie, while it fails, may bump the producer epoch once and fence
        # the successor in turn: that process stops too, and restarted it goes on.
        new.close()
        new = KafkaSink.connect(kafka_bootstrap, same_id)
        _send_one(new, OutRecord(out, "k", b"the successor goes on"))
    assert _committed_values(kafka_bootstrap, out) == [
        b"from the restarted process",
        b"the successor goes on",
    ]
    new.close()


def test_a_refusal_dooms_its_transaction_and_is_refused_at_send_next_time(
    kafka_bootstrap: str, namespace: Namespace
) -> None:
    out, small = f"{namespace.topic_prefix}tx-ok", f"{namespace.topic_prefix}tx-small"
    ensure_topics(kafka_bootstrap, [out], partitions=1)
    with KafkaAdminClient(bootstrap_servers=kafka_bootstrap) as admin:
        admin.create_topics([NewTopic(small, 1, 1, topic_configs={"max.message.bytes": "20000"})])
    sink = KafkaSink.connect(kafka_bootstrap, f"{namespace.group_prefix}tx-refuse-0")
    big = OutRecord(small, "big", os.urandom(60_000))  # zstd cannot pack it under 20 kB
    neighbours = [OutRecord(out, f"n{i}", b"small") for i in range(3)]
    with pytest.raises(TransientError, match=r"1 record\(s\) refused for good"):
        for record in (big, *neighbours):  # a neighbour's send may meet the doomed state
            assert sink.send(record) is None
        sink.flush()
    # The batch handled again (its records made anew: a stage stamps the time it handled
    # them): the big record is refused at once, the others go through.
    refusal = sink.send(OutRecord(small, "big", os.urandom(60_000)))
    assert refusal is not None and refusal.error_type == "too_large"
    assert all(sink.send(record) is None for record in neighbours)
    assert sink.flush() == []
    sink.commit()
    assert _committed_values(kafka_bootstrap, out) == [b"small"] * 3
    sink.close()


def test_a_caught_up_group_shows_no_lag_past_a_transactions_end_marker(
    kafka_bootstrap: str, namespace: Namespace
) -> None:
    topic, group = f"{namespace.topic_prefix}tx-marked", f"{namespace.group_prefix}tx-marked"
    ensure_topics(kafka_bootstrap, [topic], partitions=1)
    upstream = KafkaSink.connect(kafka_bootstrap, f"{namespace.group_prefix}tx-upstream-0")
    for n in range(3):
        upstream.send(OutRecord(topic, f"k{n}", b"v"))
    upstream.flush()
    upstream.commit()  # three records and the transaction's marker: four offsets
    source = KafkaSource.connect(kafka_bootstrap, group, [topic])
    batch = _poll(source, 3)
    source.commit(batch)
    for _ in range(4):  # the marker comes with a later fetch, as no record
        assert source.poll(0.5) == []
        source.commit_idle()
    [lag] = consumer_lag(kafka_bootstrap, group, [topic])
    assert (lag.end, lag.lag) == (4, 0)
    source.close()
    # A stage restarted with nothing new to read commits over a marker left behind too.
    upstream.send(OutRecord(topic, "k3", b"v"))
    upstream.flush()
    upstream.commit()  # offsets 4 and 5: a record and its marker
    first = KafkaSource.connect(kafka_bootstrap, group, [topic])
    [record] = _poll(first, 1)
    # Committed right after the record, as a stage that stopped before fetching the marker.
    first.consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(record.offset + 1, "", -1)})
    first.close()
    restarted = KafkaSource.connect(kafka_bootstrap, group, [topic])
    for _ in range(6):
        assert restarted.poll(0.5) == []
        restarted.commit_idle()
    [lag] = consumer_lag(kafka_bootstrap, group, [topic])
    assert (lag.end, lag.lag) == (6, 0)
    restarted.close()
    upstream.close()
