"""A poll that comes too late for a feed's window: the gap found, closed from older pages
where the feed has them, reported where it cannot be; and a schedule that keeps pace."""

import json
from dataclasses import dataclass, field

import pytest

from evaluation.poll_simulation import bursts, simulate, steady
from ingest.feeds import FeedConfig
from ingest.fetching import FetchResponse
from ingest.memory_feed_state import InMemoryFeedState
from ingest.politeness import HostLimiter
from ingest.poller import Poller
from schemas.topics import Topics
from tests.fakes import FakeSink, ScriptedFetch

FEED_URL = "https://news.example/feed"


def _rss(ids: range | list[int], extra: str = "", url: str = FEED_URL) -> FetchResponse:
    items = "".join(
        f"<item><title>Story {n}</title><link>https://news.example/{n}</link>"
        f"<pubDate>Sun, 06 Dec 2026 10:{n % 60:02d}:00 GMT</pubDate></item>"
        for n in ids
    )
    body = (
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>N</title>'
        f"{extra}{items}</channel></rss>"
    ).encode()
    return FetchResponse(200, url, {"content-type": "application/rss+xml"}, body)


@dataclass
class Robots:
    disallowed: set[str] = field(default_factory=set)

    def allows(self, page_url: str) -> bool:
        return page_url not in self.disallowed


def _poller(fetch: ScriptedFetch, robots: Robots | None = None, **feed: str) -> Poller:
    return Poller(
        [FeedConfig(FEED_URL, "News", **feed)],  # type: ignore[arg-type]
        fetch,
        InMemoryFeedState(),
        FakeSink(),
        Topics(),
        interval_s=300,
        hosts=HostLimiter(delay_s=0.0),
        robots=robots,
    )


def _sent(poller: Poller) -> set[str]:
    sink = poller.sink
    assert isinstance(sink, FakeSink)
    return {json.loads(r.value)["url"].rsplit("/", 1)[1] for r in sink.sent}


def test_a_full_window_of_new_entries_is_a_gap_reported_with_what_it_may_have_lost() -> None:
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1))})
    poller = _poller(fetch)
    first = poller.poll_feed(poller.feeds[0])
    assert first.gap is None  # a first read: everything in the window, nothing missed
    fetch.responses[FEED_URL] = _rss(range(12, 7, -1))  # 6 and 7 left the window unseen
    result = poller.poll_feed(poller.feeds[0])
    assert result.gap is not None and result.pages == 1
    assert first.pace is not None and first.pace.newest is not None
    assert result.gap.may_hold(first.pace.newest + 60)
    poller.poll_and_log(poller.feeds[0])
    health = poller.state.health[FEED_URL]  # type: ignore[attr-defined]
    assert health.gaps_last_day == 1
    assert health.last_gap_missed == (
        "published 2026-12-06T10:05:00.000Z..2026-12-06T10:08:00.000Z"
    )


def test_a_window_reaching_back_to_a_seen_entry_is_no_gap() -> None:
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1))})
    poller = _poller(fetch)
    poller.poll_feed(poller.feeds[0])
    fetch.responses[FEED_URL] = _rss(range(9, 4, -1))
    assert poller.poll_feed(poller.feeds[0]).gap is None


def test_older_pages_close_the_gap_and_their_entries_are_sent() -> None:
    page2 = f"{FEED_URL}?page=2"
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1))})
    poller = _poller(fetch)
    poller.poll_feed(poller.feeds[0])
    fetch.responses[FEED_URL] = _rss(range(12, 7, -1), f'<atom:link rel="next" href="{page2}"/>')
    fetch.responses[page2] = _rss(range(7, 2, -1), url=page2)  # reaches back to 5, 4, 3
    result = poller.poll_feed(poller.feeds[0])
    assert (result.gap, result.pages, result.sent) == (None, 2, 7)
    assert {"6", "7"} <= _sent(poller)
    assert fetch.requests[-1] == (page2, {})  # an older page: no validators


def test_wordpress_feeds_are_paged_by_number_until_a_seen_entry() -> None:
    wordpress = "<generator>https://wordpress.org/?v=6.4.2</generator>"
    fetch = ScriptedFetch({FEED_URL: _rss(range(3, 0, -1), wordpress)})
    poller = _poller(fetch)
    poller.poll_feed(poller.feeds[0])
    fetch.responses[FEED_URL] = _rss(range(12, 9, -1), wordpress)
    for page, ids in ((2, range(9, 6, -1)), (3, range(6, 3, -1))):
        url = f"{FEED_URL}?paged={page}"
        fetch.responses[url] = _rss(ids, wordpress, url)
    # page 4 would be 3, 2, 1; it is a 404 here: reading stops, the gap stays reported
    result = poller.poll_feed(poller.feeds[0])
    assert (result.pages, result.sent) == (3, 9) and result.gap is not None


@pytest.mark.parametrize("why", ["robots", "off-origin", "page-limit"])
def test_pages_are_read_only_where_allowed(why: str) -> None:
    page2 = f"{FEED_URL}?page=2" if why != "off-origin" else "https://elsewhere.example/p2"
    fetch = ScriptedFetch({FEED_URL: _rss(range(3, 0, -1))})
    poller = _poller(fetch, Robots({page2} if why == "robots" else set()))
    if why == "page-limit":
        poller.max_pages = 1
    poller.poll_feed(poller.feeds[0])
    fetch.responses[FEED_URL] = _rss(range(9, 6, -1), f'<atom:link rel="next" href="{page2}"/>')
    fetch.responses[page2] = _rss(range(6, 3, -1), url=page2)
    result = poller.poll_feed(poller.feeds[0])
    assert result.gap is not None and result.pages == 1
    assert page2 not in [url for url, _ in fetch.requests]


def test_the_poll_after_a_gap_comes_as_soon_as_the_bounds_allow() -> None:
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1))})
    poller = _poller(fetch)
    poller.poll_and_log(poller.feeds[0])
    fetch.responses[FEED_URL] = _rss(range(12, 7, -1))
    assert poller.poll_and_log(poller.feeds[0]) <= 60 * 1.1  # min interval, jittered


def test_bursts_lose_only_what_a_reported_gap_covers_and_pages_lose_nothing() -> None:
    timeline = bursts(count=6, size=60, within_s=10, quiet_s=(1200, 3600), seed=4)
    unpaged = simulate(timeline, 20, watch_gaps=True)
    assert unpaged.lost > 0 and unpaged.lost_in_gaps == unpaged.lost and unpaged.gaps > 0
    before = simulate(timeline, 20, watch_gaps=False)
    assert before.lost > 0 and before.gaps == 0  # the poller as it was: losses unreported
    paged = simulate(timeline, 20, watch_gaps=True, paged=True)
    assert (paged.lost, paged.gaps) == (0, 0) and paged.pages > 0


def test_a_steady_feed_is_polled_no_more_often_than_before() -> None:
    timeline = steady(count=120, every_s=600, seed=5)
    now, before = (simulate(timeline, 20, watch_gaps=w) for w in (True, False))
    assert now.lost == before.lost == 0
    assert now.polls <= before.polls


def test_an_entry_seen_through_another_feed_does_not_hide_a_gap() -> None:
    other = "https://news.example/sport"
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1))})
    poller = _poller(fetch)
    poller.feeds = [*poller.feeds, FeedConfig(other, "News sport")]
    poller.poll_feed(poller.feeds[0])
    fetch.responses[other] = _rss([12], url=other)  # the sport feed lists story 12 first
    poller.poll_feed(poller.feeds[1])
    fetch.responses[FEED_URL] = _rss(range(12, 7, -1))  # 6 and 7 left the window unseen
    result = poller.poll_feed(poller.feeds[0])
    assert result.gap is not None and result.sent == 4  # story 12 was sent once, by sport


def test_pages_that_lead_back_or_away_are_not_read() -> None:
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1))})
    poller = _poller(fetch)
    poller.poll_feed(poller.feeds[0])
    page2 = f"{FEED_URL}?page=2"
    fetch.responses[FEED_URL] = _rss(range(12, 7, -1), f'<atom:link rel="next" href="{FEED_URL}"/>')
    assert poller.poll_feed(poller.feeds[0]).pages == 1  # a link to the feed itself
    fetch.responses[FEED_URL] = _rss(range(19, 14, -1), f'<atom:link rel="next" href="{page2}"/>')
    fetch.responses[page2] = _rss(range(14, 9, -1), url="https://elsewhere.example/p2")
    result = poller.poll_feed(poller.feeds[0])  # page 2 redirected off the feed's origin
    assert result.gap is not None and result.pages == 1 and result.sent == 5


def test_a_json_feed_is_paged_by_its_next_url() -> None:
    def json_feed(ids: range, next_url: str | None = None, url: str = FEED_URL) -> FetchResponse:
        items = ",".join(
            f'{{"id": "{n}", "url": "https://news.example/{n}", "title": "Story {n}"}}' for n in ids
        )
        more = f', "next_url": "{next_url}"' if next_url else ""
        body = f'{{"version": "https://jsonfeed.org/version/1.1", "title": "N", "items": [{items}]{more}}}'
        return FetchResponse(200, url, {"content-type": "application/feed+json"}, body.encode())

    page2 = f"{FEED_URL}?before=8"
    fetch = ScriptedFetch({FEED_URL: json_feed(range(5, 0, -1))})
    poller = _poller(fetch)
    poller.poll_feed(poller.feeds[0])
    fetch.responses[FEED_URL] = json_feed(range(12, 7, -1), page2)
    fetch.responses[page2] = json_feed(range(7, 2, -1), url=page2)
    result = poller.poll_feed(poller.feeds[0])
    assert (result.gap, result.pages, result.sent) == (None, 2, 7)


def test_only_the_first_gap_in_a_row_overrides_the_feeds_ttl() -> None:
    # A feed whose entries get new ids on every fetch looks like a gap every time: the
    # server's 30 minutes are obeyed again from the second gap in a row.
    ttl = "<ttl>30</ttl>"
    fetch = ScriptedFetch({FEED_URL: _rss(range(5, 0, -1), ttl)})
    poller = _poller(fetch)
    poller.poll_and_log(poller.feeds[0])
    waits = []
    for start in (20, 30, 40):
        fetch.responses[FEED_URL] = _rss(range(start + 5, start, -1), ttl)
        waits.append(poller.poll_and_log(poller.feeds[0]))
    assert waits[0] <= 60 * 1.1 and min(waits[1:]) >= 1800 * 0.9
    assert poller.state.pace(FEED_URL).gaps_in_a_row == 3  # type: ignore[attr-defined]
