"""When to poll next: named table cases."""

from datetime import UTC, datetime

import pytest

from ingest.schedule import (
    GONE_PROBE_S,
    Bounds,
    adapt_interval,
    next_poll_s,
    server_hint_s,
    unconditional_due,
)

NOW = datetime(2026, 11, 29, 8, 0, 0, tzinfo=UTC)
BOUNDS = Bounds(60, 6 * 3600)

HINTS = [
    ("nothing", {}, None),
    ("retry-after-seconds", {"retry-after": "120"}, 120),
    ("retry-after-date", {"retry-after": "Sun, 29 Nov 2026 08:10:00 GMT"}, 600),
    ("max-age", {"cache-control": "public, max-age=900"}, 900),
    ("expires", {"expires": "Sun, 29 Nov 2026 09:00:00 GMT"}, 3600),
    ("the-longest-wins", {"cache-control": "max-age=60", "retry-after": "300"}, 300),
    ("past-expires-ignored", {"expires": "Sat, 28 Nov 2026 09:00:00 GMT"}, None),
    (
        "garbage-ignored",
        {"retry-after": "soon", "cache-control": "max-age=x", "expires": "?"},
        None,
    ),
]


@pytest.mark.parametrize(("headers", "expected"), [c[1:] for c in HINTS], ids=[c[0] for c in HINTS])
def test_server_hint(headers: dict[str, str], expected: float | None) -> None:
    assert server_hint_s(headers, NOW) == expected


ADAPT = [
    ("all-new-halves", 600, 10, 10, 300),
    ("some-new-shortens", 600, 2, 10, 540),
    ("nothing-new-lengthens", 600, 0, 10, 750),
    ("empty-feed-lengthens", 600, 0, 0, 750),
    ("never-below-min", 100, 10, 10, 60),
    ("never-above-max", 20000, 0, 10, 21600),
]


@pytest.mark.parametrize(
    ("interval", "new", "total", "expected"), [c[1:] for c in ADAPT], ids=[c[0] for c in ADAPT]
)
def test_adapt_interval(interval: float, new: int, total: int, expected: float) -> None:
    assert adapt_interval(interval, new, total, BOUNDS) == expected


def _next(
    status: str,
    errors: int = 0,
    headers: dict[str, str] | None = None,
    ttl: float | None = None,
    pace: float | None = None,
    gap: bool = False,
) -> float:
    return next_poll_s(
        interval_s=600,
        bounds=BOUNDS,
        status=status,
        errors=errors,
        headers=headers or {},
        feed_ttl_s=ttl,
        now=NOW,
        jitter=0.5,
        pace_s=pace,
        after_gap=gap,
    )


NEXT = [
    ("plain", _next("not_modified"), 600),
    ("feed-ttl-longer", _next("new_entries", ttl=1800), 1800),
    ("max-age-longer", _next("not_modified", headers={"cache-control": "max-age=7200"}), 7200),
    (
        "hint-clamped-to-max",
        _next("not_modified", headers={"cache-control": "max-age=999999"}),
        21600,
    ),
    ("hints-never-shorten", _next("not_modified", headers={"cache-control": "max-age=10"}), 600),
    ("gone-probed-weekly", _next("gone"), GONE_PROBE_S),
    ("first-error", _next("error", errors=1), 450),
    ("third-error-backs-off", _next("error", errors=3), 1800),
    ("error-honours-retry-after", _next("error", errors=1, headers={"retry-after": "3600"}), 3600),
    ("pace-shortens", _next("new_entries", pace=240), 240),
    ("pace-never-lengthens", _next("new_entries", pace=5000), 600),
    ("pace-within-bounds", _next("new_entries", pace=5), 60),
    ("ttl-still-lengthens-pace", _next("new_entries", pace=240, ttl=1800), 1800),
    ("after-gap-soon", _next("new_entries", pace=240, gap=True), 60),
    (
        "after-gap-ttl-and-cache-ignored",
        _next("new_entries", ttl=1800, headers={"cache-control": "max-age=900"}, gap=True),
        60,
    ),
    (
        "after-gap-retry-after-obeyed",
        _next("new_entries", headers={"retry-after": "300"}, gap=True),
        300,
    ),
]


@pytest.mark.parametrize(("got", "expected"), [c[1:] for c in NEXT], ids=[c[0] for c in NEXT])
def test_next_poll(got: float, expected: float) -> None:
    assert got == pytest.approx(expected)


UNCONDITIONAL = [
    ("never-fetched-in-full", None, 21600.0, True),
    ("recent-full-fetch", "2026-11-29T07:00:00.000Z", 21600.0, False),
    ("old-full-fetch", "2026-11-29T01:59:59.000Z", 21600.0, True),
    ("switched-off", None, 0.0, False),
    ("unreadable-time", "yesterday", 21600.0, True),
]


@pytest.mark.parametrize(
    ("last", "every_s", "due"), [c[1:] for c in UNCONDITIONAL], ids=[c[0] for c in UNCONDITIONAL]
)
def test_unconditional_due(last: str | None, every_s: float, due: bool) -> None:
    assert unconditional_due(last, NOW, every_s) is due
