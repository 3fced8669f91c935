"""A real downstream consumer group of the processed topic, watched: it consumes (ok), stops
committing while records arrive (stalled, then stopped), falls behind (lagging), exits
(gone); each state is seen in that order, and the webhook receives each change once, signed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from kafka import KafkaConsumer

from adapters.consumer_watcher import ConsumerWatcher, Webhook, sample_groups
from adapters.kafka_client import KafkaSink, ensure_topics
from schemas.records import OutRecord
from tests.conftest import Namespace
from workers.consumer_watch import SIGNATURE_HEADER, ConsumerWatch, signature

pytestmark = pytest.mark.integration

SECRET = "shared-secret"


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[bytes, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers.get(SIGNATURE_HEADER, "")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _produce(sink: KafkaSink, topic: str, count: int) -> None:
    """As the tag stage writes the topic: in a transaction, which ends with a marker."""
    for n in range(count):
        sink.send(OutRecord(topic, f"k{n}", b'{"article_id": "x"}'))
    assert sink.flush() == []
    sink.commit()


def _consume(consumer: KafkaConsumer, most: int) -> int:
    got = 0
    for _ in range(10):
        for records in consumer.poll(timeout_ms=500, max_records=most - got).values():
            got += len(records)
        if got >= most:
            break
    return got


def test_a_downstream_group_is_judged_in_order_and_each_change_is_posted_once_signed(
    kafka_bootstrap: str, namespace: Namespace, receiver: Receiver
) -> None:
    topic = f"{namespace.topic_prefix}news.processed.v1"
    ensure_topics(kafka_bootstrap, [topic], partitions=1)
    sink = KafkaSink.connect(kafka_bootstrap, f"{namespace.group_prefix}watched-output-0")
    webhook = Webhook(receiver.url, SECRET).start()
    watcher = ConsumerWatcher(
        sample=partial(sample_groups, kafka_bootstrap, [topic]),
        watch=ConsumerWatch(window=3, stopped_after_s=4.0),
        interval_s=1.0,
        on_change=webhook.send,
    )
    group = f"{namespace.group_prefix}indexer"
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    states = []

    def look() -> None:
        for change in watcher.step():
            if change.group == group:
                states.append(change.state)

    _produce(sink, topic, 10)
    assert _consume(consumer, 10) == 10
    consumer.commit()
    look()  # consumes and commits: ok
    _produce(sink, topic, 5)  # arrives, and is not committed while the group stays
    for _ in range(7):  # a member all along: the client heartbeats on a thread of its own
        time.sleep(1.0)
        look()  # stalled once the window holds no move, stopped after 4 s
    for _ in range(5):  # commits again, but less than arrives: falls behind
        _produce(sink, topic, 6)
        _consume(consumer, 2)
        consumer.commit()
        time.sleep(0.5)
        look()
    consumer.close()  # leaves the group
    for _ in range(10):
        look()
        if states and states[-1] == "gone":
            break
        time.sleep(1.0)
    webhook.stop()
    sink.close()

    assert states == ["ok", "stalled", "stopped", "lagging", "gone"]
    posted = [(json.loads(body), sig) for body, sig in receiver.received]
    mine = [(b, sig) for b, sig in posted if b["group"] == group]
    assert [b["state"] for b, _ in mine] == states  # each change once, in order
    assert all(sig == signature(SECRET, json.dumps(b, sort_keys=True).encode()) for b, sig in mine)
    # Five records wait (the lag counts the offsets of transaction markers too).
    assert mine[1][0]["lag"] >= 5 and mine[1][0]["lag_seconds"] > 0
