import pytest

from ingest.pace import (
    GAP_MEMORY_S,
    RATE_HORIZON_S,
    FeedPace,
    Gap,
    after_read,
    closes_gap,
    listing_keys,
    pace_fields,
    pace_from_fields,
    probable_gap,
)

T0 = 1_800_000_000.0


def ids(*numbers: int) -> list[str]:
    """Article ids (32 hex digits) numbered as the entries of a feed."""
    return [f"{n:012x}{0:020x}" for n in numbers]


LAST = ids(*range(1, 21))  # the last read listed entries 1..20, the newest dated T0
READ = FeedPace(window=20, read_at=T0, newest=T0, listed=listing_keys(LAST))


@pytest.mark.parametrize(
    ("pace", "listed", "oldest", "gap"),
    [
        (FeedPace(), ids(*range(21, 41)), None, False),  # a first read: nothing was missed
        (READ, ids(*range(21, 41)), T0 + 60, True),  # none listed before, as many as before
        (READ, ids(*range(21, 46)), T0 + 60, True),  # the window grew, none listed before
        (READ, ids(20, *range(21, 40)), T0 + 60, False),  # one listed before: reaches back
        (READ, ids(*range(21, 33)), T0 + 60, False),  # fewer than the window: none pushed out
        (READ, [], None, False),  # an empty feed
        (READ, ids(*range(21, 41)), T0 - 60, False),  # dated before the newest read: reaches
        (READ, ids(*range(21, 41)), T0, True),  # the same second as the newest: may not
        (READ, ids(*range(21, 41)), None, True),  # undated: the listing alone decides
        (FeedPace(window=0, read_at=T0), ids(1, 2, 3), None, False),  # empty when last read
    ],
)
def test_the_gap_rule(pace: FeedPace, listed: list[str], oldest: float | None, gap: bool) -> None:
    assert probable_gap(pace, listed, oldest) is gap


@pytest.mark.parametrize(
    ("page", "oldest", "closes"),
    [
        (ids(*range(5, 25)), None, True),  # lists entries the last read listed
        (ids(*range(30, 50)), T0 - 1, True),  # dated before the newest read
        (ids(*range(30, 50)), T0 + 1, False),  # newer and none listed before: read on
    ],
)
def test_an_older_page_closes_the_gap_when_it_reaches_back(
    page: list[str], oldest: float | None, closes: bool
) -> None:
    assert closes_gap(READ, page, oldest) is closes


def test_a_gap_records_what_it_may_have_lost() -> None:
    before = after_read(
        FeedPace(), now=T0, listed=ids(1, 2), new=2, dates=[T0 - 100, T0 - 50], gap=False
    )
    later = after_read(
        before, now=T0 + 600, listed=ids(3, 4), new=2, dates=[T0 + 500, T0 + 400], gap=True
    )
    assert later.listed == listing_keys(ids(3, 4)) and later.gaps_in_a_row == 1
    (gap,) = later.gaps
    assert (gap.at, gap.after, gap.before) == (T0 + 600, T0 - 50, T0 + 400)
    assert gap.may_hold(T0 + 100) and gap.may_hold(T0 + 400)  # a burst shares its second
    assert not gap.may_hold(T0 - 60)  # seen before the gap
    assert not gap.may_hold(T0 + 450)  # listed by the poll that found it


def test_gaps_older_than_a_day_are_forgotten() -> None:
    old = FeedPace(window=5, read_at=T0, gaps=(Gap(T0, None, None),))
    later = after_read(
        old, now=T0 + GAP_MEMORY_S + 1, listed=ids(*range(5)), new=5, dates=[], gap=True
    )
    assert [g.at for g in later.gaps] == [T0 + GAP_MEMORY_S + 1]
    assert old.recent_gaps(T0 + GAP_MEMORY_S - 1) and not old.recent_gaps(T0 + GAP_MEMORY_S)


def test_the_rate_follows_the_dates_listed_and_the_polls() -> None:
    # 20 entries listed over the last 950 s: the rate over the hour (a burst is no pace).
    pace = after_read(
        FeedPace(),
        now=T0,
        listed=ids(*range(20)),
        new=20,
        dates=[T0 - 50 * k for k in range(20)],
        gap=False,
    )
    assert pace.rate_at(T0) == pytest.approx(20 / RATE_HORIZON_S)
    assert pace.wait_limit_s(T0) == pytest.approx(0.5 * RATE_HORIZON_S)
    # Listed over more than the hour: the rate over their span.
    slow = after_read(
        FeedPace(),
        now=T0,
        listed=ids(*range(20)),
        new=20,
        dates=[T0 - 600 * k for k in range(20)],
        gap=False,
    )
    assert slow.rate_at(T0) == pytest.approx(20 / (600 * 19))
    # A quiet hour later, the same listing says the feed is slower: the wait grows.
    assert pace.wait_limit_s(T0 + 3600) > pace.wait_limit_s(T0)  # type: ignore[operator]
    # Undated entries: the polls' count alone; it decays while nothing comes.
    counted = FeedPace(window=10, read_at=T0, rate_per_s=0.01)
    assert counted.rate_at(T0 + RATE_HORIZON_S) == pytest.approx(0.01 / 2.718281828, rel=1e-6)


def test_a_first_read_adds_nothing_to_the_polls_count_and_future_dates_are_now() -> None:
    pace = after_read(
        FeedPace(), now=T0, listed=ids(1, 2, 3), new=3, dates=[T0 + 9999, T0 - 10], gap=False
    )
    assert pace.rate_per_s == 0.0
    assert (pace.oldest, pace.newest) == (T0 - 10, T0)


def test_nothing_bounds_the_wait_of_a_feed_never_read_or_silent() -> None:
    assert FeedPace().wait_limit_s(T0) is None
    assert FeedPace(window=20).wait_limit_s(T0) is None


def test_the_pace_is_kept_as_text_fields_and_read_back() -> None:
    pace = FeedPace(20, T0, 0.25, 18, T0 - 500, T0, (Gap(T0, None, T0 - 5),), listing_keys(LAST), 2)
    assert pace_from_fields(pace_fields(pace)) == pace
    assert pace_from_fields({}) == FeedPace()
    assert pace_from_fields({"window": "x", "rate_per_s": "?", "gaps": "a:b:c 1::"}) == FeedPace(
        gaps=(Gap(1.0, None, None),)
    )


def test_a_gap_says_what_it_may_have_lost() -> None:
    assert Gap(T0, T0 - 60, T0).period() == (
        "published 2027-01-15T07:59:00.000Z..2027-01-15T08:00:00.000Z"
    )
    assert Gap(T0, None, T0).period() == "published before 2027-01-15T08:00:00.000Z"
    assert Gap(T0, None, None).period() == "undated"
