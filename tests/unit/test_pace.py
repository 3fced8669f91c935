import pytest

from ingest.pace import (
    GAP_MEMORY_S,
    RATE_HORIZON_S,
    FeedPace,
    Gap,
    after_poll,
    after_read,
    pace_fields,
    pace_from_fields,
    probable_gap,
)

T0 = 1_800_000_000.0
READ = FeedPace(window=20, read_at=T0, polled_at=T0)


@pytest.mark.parametrize(
    ("pace", "listed", "never_seen", "gap"),
    [
        (FeedPace(), 20, 20, False),  # a first read: everything is new, nothing was missed
        (READ, 20, 20, True),  # all new, the window as full as before
        (READ, 25, 25, True),  # the window grew and is all new
        (READ, 20, 19, False),  # one entry seen before: the window reaches back
        (READ, 12, 12, False),  # all new but fewer than the window held: nothing pushed out
        (READ, 0, 0, False),  # an empty feed
        (FeedPace(window=0, read_at=T0), 3, 3, False),  # empty when last read: no window known
    ],
)
def test_the_gap_rule(pace: FeedPace, listed: int, never_seen: int, gap: bool) -> None:
    assert probable_gap(pace, listed, never_seen) is gap


def test_a_gap_records_what_it_may_have_lost() -> None:
    before = after_read(FeedPace(), now=T0, listed=2, new=2, dates=[T0 - 100, T0 - 50], gap=False)
    later = after_read(before, now=T0 + 600, listed=2, new=2, dates=[T0 + 500, T0 + 400], gap=True)
    (gap,) = later.gaps
    assert (gap.at, gap.after, gap.before) == (T0 + 600, T0 - 50, T0 + 400)
    assert gap.may_hold(T0 + 100) and gap.may_hold(T0 + 400)  # a burst shares its second
    assert not gap.may_hold(T0 - 60)  # seen before the gap
    assert not gap.may_hold(T0 + 450)  # listed by the poll that found it


def test_gaps_older_than_a_day_are_forgotten() -> None:
    old = FeedPace(window=5, read_at=T0, polled_at=T0, gaps=(Gap(T0, None, None),))
    later = after_read(old, now=T0 + GAP_MEMORY_S + 1, listed=5, new=5, dates=[], gap=True)
    assert [g.at for g in later.gaps] == [T0 + GAP_MEMORY_S + 1]
    assert old.recent_gaps(T0 + GAP_MEMORY_S - 1) and not old.recent_gaps(T0 + GAP_MEMORY_S)


def test_the_rate_follows_the_dates_listed_and_the_polls() -> None:
    # 20 entries listed over the last 1,000 s: 0.02 a second, half the window in 500 s.
    pace = after_read(
        FeedPace(), now=T0, listed=20, new=20, dates=[T0 - 50 * k for k in range(20)], gap=False
    )
    assert pace.rate_at(T0) == pytest.approx(20 / 950)
    assert pace.wait_limit_s(T0) == pytest.approx(0.5 * 20 * 950 / 20)
    # A quiet hour later, the same listing says the feed is slower: the wait grows.
    assert pace.wait_limit_s(T0 + 3600) > pace.wait_limit_s(T0)  # type: ignore[operator]
    # Undated entries: the polls' count alone; it decays while nothing comes.
    counted = FeedPace(window=10, polled_at=T0, rate_per_s=0.01)
    assert counted.rate_at(T0 + RATE_HORIZON_S) == pytest.approx(0.01 / 2.718281828, rel=1e-6)
    assert after_poll(counted, T0 + 60).rate_per_s < 0.01


def test_a_first_read_adds_nothing_to_the_polls_count_and_future_dates_are_now() -> None:
    pace = after_read(FeedPace(), now=T0, listed=3, new=3, dates=[T0 + 9999, T0 - 10], gap=False)
    assert pace.rate_per_s == 0.0
    assert (pace.oldest, pace.newest) == (T0 - 10, T0)


def test_nothing_bounds_the_wait_of_a_feed_never_read_or_silent() -> None:
    assert FeedPace().wait_limit_s(T0) is None
    assert FeedPace(window=20).wait_limit_s(T0) is None


def test_the_pace_is_kept_as_text_fields_and_read_back() -> None:
    pace = FeedPace(20, T0, T0 + 1, 0.25, 18, T0 - 500, T0, (Gap(T0, None, T0 - 5),))
    assert pace_from_fields(pace_fields(pace)) == pace
    assert pace_from_fields({}) == FeedPace()
    assert pace_from_fields({"window": "x", "rate_per_s": "?", "gaps": "a:b:c 1::"}) == FeedPace(
        gaps=(Gap(1.0, None, None),)
    )
