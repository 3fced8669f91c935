"""`newsflow status` shows a feed's whole last error, wrapped under its row, and the entries
its last poll skipped; feed health keeps errors long enough to be worth showing."""

import pytest

from ingest.feed_health import LAST_ERROR_MAX_CHARS, FeedHealth
from ingest.feeds import FeedConfig
from newsflow.status import format_feeds

FEED = FeedConfig("https://news.example.org/rss", "Example News")
LONG_ERROR = (
    "not a readable feed: SAXParseException('<unknown>:1:52: mismatched tag') while reading "
    "https://news.example.org/world/rss.xml?edition=international&format=full after a "
    "permanent redirect from https://old.example.org/rss, with a body of 12 kB that starts "
    "with an HTML error page instead of a feed; the end of this message is THE-LAST-WORDS"
)


def _health(**changes: object) -> FeedHealth:
    base = {
        "last_poll_at": "2026-11-29T07:41:03.512Z",
        "last_status": "error",
        "last_success_at": "2026-11-29T06:41:03.512Z",
        "errors_in_a_row": 3,
        "next_poll_at": "2026-11-29T07:51:03.512Z",
    }
    return FeedHealth(**{**base, **changes})  # type: ignore[arg-type]


def _without_spaces(lines: list[str]) -> str:
    return "".join("".join(lines).split())


def test_the_whole_error_is_shown_wrapped_and_aligned_under_the_row() -> None:
    header, row, *error = format_feeds([(FEED, _health(last_error=LONG_ERROR))], width=80)
    assert row.split() == ["Example", "News", "error", "06:41:03", "3", "0", "0", "07:51:03"]
    assert len(error) > 1 and all(len(line) <= 80 for line in [header, row, *error])
    assert error[0].startswith("  last error: not a readable feed")
    indent = " " * len("  last error: ")
    assert all(line.startswith(indent) and line[len(indent)] != " " for line in error[1:])
    assert _without_spaces(error) == "lasterror:" + "".join(LONG_ERROR.split())
    assert error[-1].endswith("THE-LAST-WORDS")


def test_a_long_unbroken_url_in_an_error_is_wrapped_not_cut() -> None:
    url = "https://news.example.org/" + "a" * 150
    _, _, *error = format_feeds([(FEED, _health(last_error=f"HTTP 404 for {url}"))], width=60)
    assert all(len(line) <= 60 for line in error)
    assert _without_spaces(error) == f"lasterror:HTTP404for{url}"


def test_line_breaks_of_an_error_are_kept() -> None:
    _, _, *error = format_feeds([(FEED, _health(last_error="first line\n\nsecond line"))])
    assert error == ["  last error: first line", "              second line"]


@pytest.mark.parametrize(
    ("health", "extra"),
    [
        (_health(last_status="new_entries", errors_in_a_row=0), []),
        (
            _health(last_status="new_entries", skipped_entries="invalid_link=1 no_link=2"),
            ["  skipped entries: invalid_link=1 no_link=2"],
        ),
        (FeedHealth(), []),
        (
            _health(
                last_status="new_entries",
                gaps_last_day=2,
                last_gap_at="2026-11-29T07:41:03.512Z",
                last_gap_missed="published 2026-11-29T07:02:00.000Z..2026-11-29T07:30:00.000Z",
            ),
            [
                "  last gap: 2026-11-29T07:41:03.512Z, entries may be missing: published "
                "2026-11-29T07:02:00.000Z..2026-11-29T07:30:00.000Z"
            ],
        ),
    ],
    ids=["healthy", "skipped-entries", "never-polled", "gaps"],
)
def test_rows_of_feeds_without_errors(health: FeedHealth, extra: list[str]) -> None:
    _, row, *rest = format_feeds([(FEED, health)])
    assert rest == extra
    assert row.split()[-3:-1] == [str(health.skipped_count), str(health.gaps_last_day)]


@pytest.mark.parametrize(
    ("stored", "count"),
    [("", 0), ("no_link=2", 2), ("invalid_link=1 no_link=2", 3)],
    ids=["none", "one-reason", "two-reasons"],
)
def test_skipped_count_adds_up_the_reasons(stored: str, count: int) -> None:
    assert FeedHealth(skipped_entries=stored).skipped_count == count


def _stored_error(health: FeedHealth) -> str:
    return health.fields()["last_error"]


def test_a_long_error_is_stored_whole_and_a_runaway_one_capped() -> None:
    long_error = LONG_ERROR * 4  # about 1400 characters
    assert _stored_error(_health(last_error=long_error)) == long_error
    assert len(_stored_error(_health(last_error="x" * 10_000))) == LAST_ERROR_MAX_CHARS >= 2000
