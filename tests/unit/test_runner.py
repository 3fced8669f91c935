import json
import random
from typing import Any

from schemas.contracts import example
from schemas.records import InRecord, OutRecord
from tests.fakes import FakeSink, FakeSource, record
from workers.backoff import Backoff
from workers.codec import encode
from workers.errors import PoisonMessage, TransientError
from workers.runner import Outcome, WorkerLoop, one_at_a_time

GOOD = json.dumps(example("article.v1")).encode()


def _echo(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
    return [encode("out", message["article_id"], message, "article.v1")]


def _loop(source: FakeSource, sink: FakeSink, handle: Any = _echo) -> WorkerLoop:
    backoff = Backoff(base_s=0.0, cap_s=0.0, rng=random.Random(1))
    batch = one_at_a_time(handle)
    return WorkerLoop("test", "article.v1", "dlq", batch, source, sink, backoff=backoff)


def test_outputs_are_flushed_before_the_batch_is_committed() -> None:
    batch = [record(GOOD, 0), record(GOOD, 1)]
    source, sink = FakeSource([batch]), FakeSink()
    assert _loop(source, sink).step() == 2
    assert [o.topic for o in sink.sent] == ["out", "out"]
    assert source.committed == batch


def test_poison_goes_to_the_dead_letter_topic_with_reason_and_origin() -> None:
    wrong_schema = json.dumps({"schema_version": 1, "title": "no id"}).encode()
    batch = [
        record(b"not json", 0),
        record(wrong_schema, 1),
        record(b"\xff\xfe", 2),
        record(GOOD, 3),
    ]
    source, sink = FakeSource([batch]), FakeSink()
    loop = _loop(source, sink)
    loop.step()
    dead = [json.loads(o.value) for o in sink.sent if o.topic == "dlq"]
    assert [d["error_type"] for d in dead] == ["invalid_json", "invalid_schema", "invalid_json"]
    assert [d["source_offset"] for d in dead] == [0, 1, 2]
    assert dead[0]["value_text"] == "not json"
    assert dead[2]["value_text"] is None and dead[2]["value_base64"] == "//4="
    assert "article_id" in dead[1]["error"]
    assert [o.topic for o in sink.sent].count("out") == 1
    assert source.committed == batch and loop.dead_lettered == 3


def test_json_that_is_not_unicode_text_or_has_nan_is_poison() -> None:
    lone_surrogate = GOOD.replace(b'"title": "', b'"title": "\\ud800', 1)
    not_a_number = GOOD.replace(b'"schema_version": 1', b'"schema_version": NaN', 1)
    assert lone_surrogate != GOOD and not_a_number != GOOD
    source, sink = FakeSource([[record(lone_surrogate, 0), record(not_a_number, 1)]]), FakeSink()
    _loop(source, sink).step()
    dead = [json.loads(o.value) for o in sink.sent if o.topic == "dlq"]
    assert [d["error_type"] for d in dead] == ["invalid_json", "invalid_json"]
    assert "surrogate" in dead[0]["error"]


def test_handler_poison_is_dead_lettered_too() -> None:
    def refuse(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
        raise PoisonMessage("page is empty", error_type="extraction_empty")

    source, sink = FakeSource([[record(GOOD)]]), FakeSink()
    _loop(source, sink, refuse).step()
    assert json.loads(sink.sent[0].value)["error_type"] == "extraction_empty"


def test_invalid_output_is_dead_lettered_not_sent() -> None:
    def broken(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
        return [encode("out", "k", {"schema_version": 1}, "article.v1")]

    source, sink = FakeSource([[record(GOOD)]]), FakeSink()
    _loop(source, sink, broken).step()
    assert [o.topic for o in sink.sent] == ["dlq"]
    assert json.loads(sink.sent[0].value)["error_type"] == "invalid_output"


def test_transient_failure_commits_nothing_and_retries_the_same_batch() -> None:
    batch = [record(GOOD, 0), record(GOOD, 1)]
    source, sink = FakeSource([batch]), FakeSink(fail_flushes=1)
    loop = _loop(source, sink)
    assert loop.step() == 0
    assert source.committed == [] and source.rewound == batch and sink.sent == []
    assert loop.step() == 2
    assert source.committed == batch and len(sink.sent) == 2


def test_idle_poll_does_nothing() -> None:
    source, sink = FakeSource([]), FakeSink()
    assert _loop(source, sink).step() == 0
    assert source.committed == [] and sink.sent == []


def test_with_nothing_handled_the_position_is_committed_only_after_the_idle_interval() -> None:
    source, sink = FakeSource([]), FakeSink()
    loop = _loop(source, sink)
    loop.commit_interval_s, loop.idle_commit_interval_s = 0.1, 1.0
    loop._last_commit -= 0.5  # the commit interval is up, the idle one is not
    loop.step()
    assert source.idle_commits == 0
    loop._last_commit -= 1.0
    loop.step()
    assert source.idle_commits == 1
    loop.step(commit_now=True)  # on stop: at once
    assert source.idle_commits == 2


def test_a_handler_bug_dead_letters_the_input_and_the_loop_goes_on() -> None:
    def buggy(message: dict[str, Any], rec: InRecord) -> list[OutRecord]:
        if rec.offset == 0:
            raise KeyError("body")
        return _echo(message, rec)

    source, sink = FakeSource([[record(GOOD, 0), record(GOOD, 1)]]), FakeSink()
    assert _loop(source, sink, buggy).step() == 2
    dead = [json.loads(o.value) for o in sink.sent if o.topic == "dlq"]
    assert [(d["error_type"], d["source_offset"]) for d in dead] == [("handler_error", 0)]
    assert "KeyError" in dead[0]["error"]
    assert [o.topic for o in sink.sent].count("out") == 1


def _interval_loop(source: FakeSource, sink: FakeSink) -> WorkerLoop:
    loop = _loop(source, sink)
    loop.commit_interval_s = 3600.0  # never due during the test
    return loop


def test_with_an_interval_batches_are_sent_at_once_and_committed_together() -> None:
    first, second = [record(GOOD, 0)], [record(GOOD, 1), record(GOOD, 2)]
    source, sink = FakeSource([first, second]), FakeSink()
    loop = _interval_loop(source, sink)
    assert loop.step() == 0 and loop.step() == 0
    assert len(sink.pending) == 3 and source.committed == []  # sent, not yet acknowledged
    assert loop.step(commit_now=True) == 3
    assert len(sink.sent) == 3 and source.committed == first + second
    assert loop.handled == 3


def test_while_input_keeps_coming_the_interval_holds_the_commit_and_caught_up_commits() -> None:
    first, second = [record(GOOD, 0)], [record(GOOD, 1), record(GOOD, 2)]
    source, sink = FakeSource([first, second]), FakeSink()
    loop = _interval_loop(source, sink)
    assert loop.step() == 0 and loop.step() == 0  # each poll found input: not caught up
    assert source.committed == []
    assert loop.step() == 3  # the poll found nothing more: committed without the interval
    assert source.committed == first + second
    # With work to commit, a poll takes only what has arrived; with none, it waits.
    assert source.timeouts == [loop.poll_timeout_s, 0.0, 0.0]
    assert loop.step() == 0 and source.timeouts[-1] == loop.poll_timeout_s


def test_a_transient_failure_rewinds_every_uncommitted_batch() -> None:
    first, second = [record(GOOD, 0)], [record(GOOD, 1)]
    source, sink = FakeSource([first, second]), FakeSink(fail_flushes=1)
    loop = _interval_loop(source, sink)
    loop.step()
    loop.step()
    assert loop.step(commit_now=True) == 0  # the flush fails
    assert source.rewound == first + second and source.committed == []
    assert loop.step() == 0 and loop.step(commit_now=True) == 2  # both handled again
    assert source.committed == first + second


def test_stopping_commits_what_was_handled() -> None:
    batch = [record(GOOD, 0)]
    source, sink = FakeSource([batch]), FakeSink()
    loop = _interval_loop(source, sink)
    loop.step()
    loop.stop.set()
    loop.run()
    assert source.committed == batch and len(sink.sent) == 1


def test_a_batch_handler_gives_each_input_its_own_outcome() -> None:
    def half_broken(inputs: Any) -> list[Outcome]:
        return [
            ValueError("bug") if rec.offset == 1 else _echo(message, rec) for message, rec in inputs
        ]

    batch = [record(GOOD, 0), record(b"not json", 1), record(GOOD, 1), record(GOOD, 2)]
    source, sink = FakeSource([batch]), FakeSink()
    loop = WorkerLoop("test", "article.v1", "dlq", half_broken, source, sink)
    assert loop.step() == 4
    dead = [json.loads(o.value) for o in sink.sent if o.topic == "dlq"]
    assert [(d["error_type"], d["source_offset"]) for d in dead] == [
        ("invalid_json", 1),
        ("handler_error", 1),
    ]
    assert [o.topic for o in sink.sent] == ["out", "dlq", "dlq", "out"]  # in input order


def test_a_transient_failure_in_a_batch_handler_rewinds_the_batch() -> None:
    calls: list[int] = []

    def redis_down_once(inputs: Any) -> list[Outcome]:
        calls.append(len(inputs))
        if len(calls) == 1:
            raise TransientError("redis dedupe lookup failed")
        return [_echo(message, rec) for message, rec in inputs]

    batch = [record(GOOD, 0), record(GOOD, 1)]
    source, sink = FakeSource([batch]), FakeSink()
    backoff = Backoff(base_s=0.0, cap_s=0.0, rng=random.Random(1))
    loop = WorkerLoop("test", "article.v1", "dlq", redis_down_once, source, sink, backoff=backoff)
    assert loop.step() == 0 and source.rewound == batch and sink.sent == []
    assert loop.step() == 2 and calls == [2, 2]
