"""The poller's feed state in a real Redis: entries never seen told from changed ones, and a
feed's pace and health (its gaps) kept across restarts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.feed_state import RedisFeedState
from adapters.redis_client import connect_redis
from ingest.feed_health import FeedHealth, Validators
from ingest.pace import FeedPace, Gap
from tests.conftest import Namespace

pytestmark = pytest.mark.integration

FEED = "https://news.example/feed"


@pytest.fixture
def state(redis_url: str, namespace: Namespace) -> Iterator[RedisFeedState]:
    client = connect_redis(redis_url)
    yield RedisFeedState(client, namespace.redis_prefix)
    client.close()


def test_entries_never_seen_are_told_from_changed_ones(state: RedisFeedState) -> None:
    state.mark_seen({"a": "fp-a", "b": "fp-b"})
    unseen = state.unseen({"a": "fp-a", "b": "fp-b2", "c": "fp-c"})
    assert (unseen.new, unseen.changed) == (frozenset({"c"}), frozenset({"b"}))
    assert unseen.to_send == {"b", "c"}


def test_a_feeds_pace_and_gaps_outlive_the_process(state: RedisFeedState) -> None:
    assert state.pace(FEED) == FeedPace()  # never polled
    pace = FeedPace(20, 1.8e9, 0.004, 20, 1.8e9 - 900, 1.8e9 - 5, (Gap(1.8e9, 1.79e9, None),))
    state.save_pace(FEED, pace)
    again = RedisFeedState(state.client, state.prefix)
    assert again.pace(FEED) == pace
    assert again.remembered(FEED) == (Validators(), pace)  # what a poll reads, at once
    health = FeedHealth(
        last_status="new_entries",
        gaps_last_day=1,
        last_gap_at="2027-01-15T08:00:00.000Z",
        last_gap_missed="published before 2027-01-15T07:59:00.000Z",
    )
    state.record_health(FEED, health)
    assert again.health(FEED) == health
