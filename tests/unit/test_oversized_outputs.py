"""Size is the input's own property: an output over the record limit, or one the broker
refuses for good, dead-letters its input once and the stage moves on (never a rewind)."""

import json
import random
from pathlib import Path
from typing import Any

from schemas.contracts import example
from schemas.limits import MAX_PAYLOAD_BYTES, MAX_RECORD_BYTES
from schemas.records import InRecord, OutRecord
from services.kafka_broker import BrokerConfig, server_properties
from tests.fakes import FakeSink, FakeSource, record
from workers.backoff import Backoff
from workers.codec import encode
from workers.errors import Interrupted, PoisonMessage
from workers.runner import WorkerLoop, one_at_a_time

ARTICLE = example("article.v1")
GOOD = json.dumps(ARTICLE).encode()
HUGE = json.dumps({**ARTICLE, "article_id": "f" * 32, "url": "https://example.com/huge"}).encode()


def _blown_up(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
    """An output as big as its input says: the huge one over the limit."""
    if message["article_id"] == "f" * 32:
        message = {**message, "body": "x" * (MAX_PAYLOAD_BYTES + 1)}
    return [encode("out", message["article_id"], message, "article.v1")]


def _loop(source: FakeSource, sink: FakeSink, handle: Any = _blown_up) -> WorkerLoop:
    backoff = Backoff(base_s=0.0, cap_s=0.0, rng=random.Random(1))
    return WorkerLoop(
        stage="test",
        input_contract="article.v1",
        dead_letter_topic="dlq",
        handle=one_at_a_time(handle),
        source=source,
        sink=sink,
        backoff=backoff,
    )


def test_an_output_over_the_record_limit_dead_letters_its_input_with_id_url_and_size() -> None:
    batch = [record(GOOD, 0), record(HUGE, 1), record(GOOD, 2)]
    source, sink = FakeSource([batch]), FakeSink()
    loop = _loop(source, sink)
    assert loop.step() == 3
    assert [o.topic for o in sink.sent] == ["out", "dlq", "out"]
    dead = json.loads(sink.sent[1].value)
    assert dead["error_type"] == "too_large"
    assert dead["article_id"] == "f" * 32 and dead["url"] == "https://example.com/huge"
    assert dead["size_bytes"] > MAX_PAYLOAD_BYTES
    assert dead["value_text"] == HUGE.decode()  # the input itself is small: it travels along
    assert source.committed == batch and source.rewound == []
    assert loop.dead_lettered == 1


def test_an_output_the_broker_refuses_for_good_dead_letters_its_input_and_commits() -> None:
    def to_a_refusing_topic(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
        topic = "refusing" if rec.offset == 1 else "out"
        return [
            encode(topic, message["article_id"], message, "article.v1"),
            encode(topic, message["article_id"], message, "article.v1"),
        ]

    batch = [record(GOOD, 0), record(GOOD, 1)]
    source, sink = FakeSource([batch]), FakeSink(refuse_topics=frozenset({"refusing"}))
    loop = _loop(source, sink, to_a_refusing_topic)
    assert loop.step() == 2
    dead = [json.loads(o.value) for o in sink.sent if o.topic == "dlq"]
    assert [(d["error_type"], d["source_offset"]) for d in dead] == [("rejected", 1)]
    assert "refused" in dead[0]["error"]
    assert source.committed == batch and source.rewound == []
    assert loop.dead_lettered == 1


def test_a_refused_dead_letter_pauses_the_stage_and_commits_nothing() -> None:
    batch = [record(b"not json", 0)]
    source, sink = FakeSource([batch]), FakeSink(refuse_topics=frozenset({"dlq"}))
    loop = _loop(source, sink)
    assert loop.step() == 0
    assert source.committed == [] and source.rewound == batch


def test_a_dead_letter_too_big_to_carry_its_input_names_where_the_input_stays() -> None:
    big_input = json.dumps({"not": "an article", "pad": "y" * MAX_PAYLOAD_BYTES}).encode()
    source, sink = FakeSource([[record(big_input, 7)]]), FakeSink()
    _loop(source, sink).step()
    [dead] = [json.loads(o.value) for o in sink.sent]
    assert dead["error_type"] == "invalid_schema"
    assert dead["value_text"] is None and dead["value_base64"] is None
    assert dead["value_omitted_bytes"] == len(big_input)
    assert (dead["source_partition"], dead["source_offset"]) == (0, 7)


def test_a_stop_mid_batch_hands_that_batch_back_and_commits_the_one_before() -> None:
    calls = 0

    def stops_on_the_second_batch(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
        nonlocal calls
        calls += 1
        if rec.offset >= 2:
            raise Interrupted("stopping")
        return [encode("out", message["article_id"], message, "article.v1")]

    first, second = [record(GOOD, 0), record(GOOD, 1)], [record(GOOD, 2), record(GOOD, 3)]
    source, sink = FakeSource([first, second]), FakeSink()
    loop = _loop(source, sink, stops_on_the_second_batch)
    loop.commit_interval_s = 3600.0  # the first batch stays uncommitted until the stop
    loop.step()
    loop.step()
    assert loop.step(commit_now=True) == 2
    # Handed back, not rewound: a rewind aborts the open transaction, which holds the first
    # batch's outputs, whose offsets the last step then commits.
    assert source.committed == first and source.handed_back == second and source.rewound == []
    assert [o.topic for o in sink.sent] == ["out", "out"] and loop.dead_lettered == 0


def test_a_dead_letter_fits_whatever_its_error_and_input_say() -> None:
    def fails_with_a_huge_reason(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
        raise PoisonMessage("bad field: " + "z" * MAX_PAYLOAD_BYTES, error_type="invalid_field")

    big_input = json.dumps({**ARTICLE, "body": "b" * (MAX_PAYLOAD_BYTES // 2)}).encode()
    source, sink = FakeSource([[record(big_input, 3)]]), FakeSink()
    assert _loop(source, sink, fails_with_a_huge_reason).step() == 1
    [dead] = [json.loads(o.value) for o in sink.sent]
    assert dead["error_type"] == "invalid_field" and dead["value_omitted_bytes"] == len(big_input)
    assert len(dead["error"].encode()) <= 16 * 1024


def test_every_broker_newsflow_describes_takes_the_same_record_limit() -> None:
    """The broker the project starts and the one docker-compose.yml runs refuse no record
    the producers accept (schemas/limits.py is the one place the number is set)."""
    compose = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    assert f"KAFKA_MESSAGE_MAX_BYTES: {MAX_RECORD_BYTES}" in compose
    properties = server_properties(BrokerConfig(port=1, controller_port=2, data_dir=Path("x")))
    assert f"message.max.bytes={MAX_RECORD_BYTES}\n" in properties
