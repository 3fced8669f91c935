"""Judging the processed topic's consumers over a window of samples, as Burrow does."""

import hashlib
import hmac
import json

import pytest

from newsflow.consumers_command import format_consumers
from workers.consumer_watch import (
    ConsumerWatch,
    GroupHistory,
    GroupSample,
    PartitionSample,
    judge,
    signature,
)

TP = ("news.processed.v1", 0)
WINDOW, STOPPED_AFTER_S = 4, 40.0


def _sample(at: float, committed: int | None, end: int, members: int = 1) -> GroupSample:
    oldest = int((at - 5) * 1000) if end > (committed or 0) else None
    return GroupSample(at, members, {TP: PartitionSample(committed, end, oldest)})


def _history(*points: tuple[int | None, int] | tuple[int | None, int, int]) -> GroupHistory:
    history = GroupHistory(WINDOW)
    for n, point in enumerate(points):
        history.add(_sample(n * 10.0, point[0], point[1], *point[2:]))
    return history


CASES = [
    ("caught-up", _history((5, 5), (8, 8), (9, 9), (12, 12)), "ok"),
    ("catching-up", _history((0, 20), (10, 22), (20, 24), (24, 25)), "ok"),
    ("idle-and-caught-up", _history((5, 5), (5, 5), (5, 5), (5, 5), (5, 5)), "ok"),
    ("too-few-samples-to-stall", _history((5, 9), (5, 9)), "ok"),
    ("stalled", _history((5, 6), (5, 7), (5, 9), (5, 9)), "stalled"),
    ("stopped", _history((5, 6), (5, 7), (5, 8), (5, 9), (5, 9)), "stopped"),
    ("never-committed", _history((None, 3), (None, 3), (None, 4), (None, 4), (None, 4)), "stopped"),
    ("lagging", _history((10, 12), (12, 16), (14, 20), (16, 25)), "lagging"),
    ("gone", _history((5, 5), (5, 9, 0)), "gone"),
]


@pytest.mark.parametrize(("history", "state"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_judge(history: GroupHistory, state: str) -> None:
    assert judge(history, STOPPED_AFTER_S) == state


def test_a_group_is_reported_once_per_change_with_its_lag_in_seconds() -> None:
    watch = ConsumerWatch(WINDOW, STOPPED_AFTER_S)
    seen = []
    for n, (committed, end, members) in enumerate(
        [(5, 5, 1), (6, 6, 1), (6, 8, 1), (6, 9, 1), (6, 9, 1), (6, 12, 1), (6, 12, 1), (6, 12, 0)]
    ):
        seen += watch.observe({"indexer": _sample(n * 10.0, committed, end, members)})
    assert [(c.state, c.previous) for c in seen] == [
        ("ok", None),
        ("lagging", "ok"),  # its offset moved in the window, and the lag grew
        ("stalled", "lagging"),  # not moved over the whole window while records wait
        ("stopped", "stalled"),  # no move for 40 s since it was last caught up
        ("gone", "stopped"),
    ]
    assert seen[2].lag == 3 and seen[2].lag_seconds == pytest.approx(5.0)


def test_an_idle_caught_up_group_is_not_stopped_when_one_record_comes() -> None:
    history = _history((5, 5), (5, 5), (5, 5), (5, 5), (5, 5), (5, 5), (5, 6))
    assert judge(history, STOPPED_AFTER_S) == "ok"


def test_the_webhook_body_is_json_signed_with_the_shared_secret() -> None:
    [change] = ConsumerWatch(WINDOW, STOPPED_AFTER_S).observe({"g": _sample(100.0, 1, 3)})
    body = change.body()
    assert json.loads(body) == {
        "group": "g",
        "state": "ok",
        "previous": None,
        "at": 100.0,
        "lag": 2,
        "lag_seconds": 5.0,
    }
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature("s3cret", body) == f"sha256={expected}"
    assert signature("other", body) != signature("s3cret", body)


def test_the_consumers_view_shows_each_group_with_its_lag_per_partition() -> None:
    sample = GroupSample(
        100.0,
        2,
        {
            ("news.processed.v1", 0): PartitionSample(5, 9, 97_000),
            ("news.processed.v1", 1): PartitionSample(3, 3),
        },
    )
    header, row = format_consumers([("search-indexer", "lagging", sample)])
    assert header.split()[:5] == ["group", "state", "members", "lag", "lag"]
    assert row.split() == [
        "search-indexer",
        "lagging",
        "2",
        "4",
        "3.0",
        "processed[0]=4",
        "processed[1]=0",
    ]
    assert format_consumers([])[1].startswith("(no consumer group")
