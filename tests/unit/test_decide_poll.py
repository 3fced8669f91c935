"""What a fetch of a feed means (ingest/poller.py decide_poll): a table, no I/O."""

from datetime import UTC, datetime

import pytest

from ingest.feed_health import Validators
from ingest.fetching import FetchFailure, FetchResponse
from ingest.poller import FeedToSend, PollResult, decide_poll, request_headers

URL = "https://feeds.example/rss"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RSS = b'<rss version="2.0"><channel><title>X</title><item><title>a</title><link>https://x.example/a</link></item></channel></rss>'
OLD = Validators('"v0"', "Fri, 04 Dec 2026", "https://moved.example/rss", "2026-12-06T00:00:00Z")
PRIVATE = "10.0.0.1 is private"
IMAGE_HEADERS = {"content-type": "image/png"}

RESULTS = [
    ("refused fetch", FetchFailure(URL, PRIVATE, "refused"), "error", f"refused: {PRIVATE}"),
    ("timeout", FetchFailure(URL, "over 30s", "timeout"), "error", "timeout: over 30s"),
    ("not modified", FetchResponse(304, URL, {}, b""), "not_modified", None),
    ("gone for good", FetchResponse(410, URL, {}, b""), "gone", "HTTP 410 Gone"),
    ("server error", FetchResponse(503, URL, {}, b""), "error", "HTTP 503"),
    ("not found", FetchResponse(404, URL, {}, b""), "error", "HTTP 404"),
    ("not a feed", FetchResponse(200, URL, IMAGE_HEADERS, b"\x89PNG\r\n\x1a\n"), "error", None),
]


@pytest.mark.parametrize(
    ("fetched", "status", "error"), [r[1:] for r in RESULTS], ids=[r[0] for r in RESULTS]
)
def test_a_fetch_without_a_feed_is_a_result_to_record(
    fetched: FetchResponse | FetchFailure, status: str, error: str | None
) -> None:
    decided = decide_poll(URL, fetched, OLD, NOW)
    assert isinstance(decided, PollResult)
    assert decided.status == status
    if error is not None:
        assert decided.error == error
    else:
        assert status == "not_modified" or decided.error


def test_a_feed_is_sent_with_the_validators_it_came_with() -> None:
    fetched = FetchResponse(200, URL, {"etag": '"v1"', "last-modified": "Sat, 05 Dec 2026"}, RSS)
    decided = decide_poll(URL, fetched, OLD, NOW)
    assert isinstance(decided, FeedToSend)
    assert [e.title for e in decided.parsed.entries] == ["a"]
    assert decided.validators == Validators(
        '"v1"', "Sat, 05 Dec 2026", "https://moved.example/rss", "2026-12-06T12:00:00.000Z"
    )
    assert decided.moved_to is None


def test_a_permanent_redirect_is_remembered() -> None:
    fetched = FetchResponse(200, URL, {}, RSS, permanent_redirect="https://new.example/rss")
    decided = decide_poll(URL, fetched, Validators(), NOW)
    assert isinstance(decided, FeedToSend)
    assert decided.validators.moved_to == decided.moved_to == "https://new.example/rss"
    assert decided.validators.etag is None


# The conditional request OLD's validators make.
CONDITIONAL = {"If-None-Match": '"v0"', "If-Modified-Since": "Fri, 04 Dec 2026"}

HEADERS = [
    ("conditional", OLD, 24 * 3600.0, CONDITIONAL),
    ("unconditional due", OLD, 3600.0, {}),
    ("never unconditional", OLD, 0.0, CONDITIONAL),
    ("nothing to send back", Validators(full_fetch_at="2026-12-06T11:00:00Z"), 6 * 3600.0, {}),
]


@pytest.mark.parametrize(
    ("validators", "every_s", "expected"), [h[1:] for h in HEADERS], ids=[h[0] for h in HEADERS]
)
def test_request_headers(validators: Validators, every_s: float, expected: dict[str, str]) -> None:
    assert request_headers(validators, NOW, every_s) == expected
