import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ingest.feed_health import Unseen, Validators
from ingest.feeds import FeedConfig
from ingest.fetching import FetchFailure, FetchResponse
from ingest.memory_feed_state import InMemoryFeedState
from ingest.poller import Poller, PollResult
from schemas.contracts import problems
from schemas.topics import Topics
from tests.fakes import FakeSink, ScriptedFetch
from workers.errors import TransientError

FEED_URL = "http://feeds.example/rss"


def _rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://example.org/{t}?utm_source=rss</link></item>"
        for t in titles
    )
    return f'<rss version="2.0"><channel><title>X</title>{items}</channel></rss>'.encode()


def _ok(body: bytes, etag: str = '"v1"') -> FetchResponse:
    return FetchResponse(200, FEED_URL, {"etag": etag, "last-modified": "Sat, 28 Nov 2026"}, body)


def _poller(fetch: ScriptedFetch, state: InMemoryFeedState, sink: FakeSink) -> Poller:
    feed = FeedConfig(FEED_URL, "Example", language="en")
    return Poller([feed], fetch, state, sink, Topics(), interval_s=60)


def test_new_entries_are_sent_valid_then_remembered_with_the_validators() -> None:
    fetch, state, sink = (
        ScriptedFetch({FEED_URL: _ok(_rss("a", "b"))}),
        InMemoryFeedState(),
        FakeSink(),
    )
    poller = _poller(fetch, state, sink)
    result = poller.poll_feed(poller.feeds[0])
    assert (result.status, result.sent) == ("new_entries", 2)
    entries = [json.loads(o.value) for o in sink.sent]
    assert {e["url"] for e in entries} == {"https://example.org/a", "https://example.org/b"}
    assert all(problems("entry.v1", e) == [] for e in entries)
    assert all(o.key == json.loads(o.value)["article_id"] for o in sink.sent)
    assert len(state.seen) == 2
    saved = state.saved[FEED_URL]
    assert (saved.etag, saved.last_modified, saved.moved_to) == ('"v1"', "Sat, 28 Nov 2026", None)
    assert saved.full_fetch_at is not None  # a 200 is a full fetch


def test_a_feed_long_unchanged_is_fetched_once_without_validators() -> None:
    fetch, state = ScriptedFetch({FEED_URL: _ok(_rss("a"))}), InMemoryFeedState()
    poller = _poller(fetch, state, FakeSink())
    state.saved[FEED_URL] = Validators('"v1"', None, None, "2020-01-01T00:00:00.000Z")
    poller.poll_feed(poller.feeds[0])
    assert fetch.requests[-1][1] == {}  # unconditional: its 304s could be wrong
    poller.poll_feed(poller.feeds[0])
    assert fetch.requests[-1][1] == {  # conditional again, with what the 200 gave
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Sat, 28 Nov 2026",
    }


def test_second_poll_sends_validators_back_and_only_new_entries() -> None:
    fetch, state, sink = ScriptedFetch({FEED_URL: _ok(_rss("a"))}), InMemoryFeedState(), FakeSink()
    poller = _poller(fetch, state, sink)
    poller.poll_feed(poller.feeds[0])
    fetch.responses[FEED_URL] = _ok(_rss("a", "c"), etag='"v2"')
    result = poller.poll_feed(poller.feeds[0])
    assert fetch.requests[1][1] == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Sat, 28 Nov 2026",
    }
    assert result.sent == 1 and json.loads(sink.sent[-1].value)["url"] == "https://example.org/c"


def test_not_modified_sends_nothing() -> None:
    fetch = ScriptedFetch({FEED_URL: FetchResponse(304, FEED_URL, {}, b"")})
    sink = FakeSink()
    poller = _poller(fetch, InMemoryFeedState(), sink)
    assert poller.poll_feed(poller.feeds[0]).status == "not_modified"
    assert sink.sent == []


def test_a_failed_flush_leaves_entries_unseen_so_they_are_sent_again() -> None:
    fetch, state = ScriptedFetch({FEED_URL: _ok(_rss("a"))}), InMemoryFeedState()
    poller = _poller(fetch, state, FakeSink(fail_flushes=1))
    poller.poll_and_log(poller.feeds[0])
    assert state.seen == {} and poller.errors[FEED_URL] == 1
    poller.sink = FakeSink()
    assert poller.poll_feed(poller.feeds[0]).sent == 1


def test_feed_health_is_recorded_for_status() -> None:
    fetch, state = ScriptedFetch({FEED_URL: _ok(_rss("a"))}), InMemoryFeedState()
    poller = _poller(fetch, state, FakeSink())
    poller.poll_and_log(poller.feeds[0])
    healthy = state.health[FEED_URL]
    assert (healthy.last_status, healthy.errors_in_a_row, healthy.last_error) == (
        "new_entries",
        0,
        "",
    )
    assert healthy.last_success_at == healthy.last_poll_at < healthy.next_poll_at
    fetch.responses[FEED_URL] = FetchFailure(FEED_URL, "connection refused", "network")
    poller.poll_and_log(poller.feeds[0])
    failing = state.health[FEED_URL]
    assert (failing.last_status, failing.errors_in_a_row) == ("error", 1)
    assert failing.last_success_at == healthy.last_success_at
    assert "connection refused" in failing.last_error


def test_broken_feeds_are_per_feed_errors_with_backoff() -> None:
    for failure in (
        FetchFailure(FEED_URL, "connection refused", "network"),
        FetchResponse(500, FEED_URL, {}, b""),
        FetchResponse(200, FEED_URL, {}, b"\x00 binary garbage"),
    ):
        poller = _poller(ScriptedFetch({FEED_URL: failure}), InMemoryFeedState(), FakeSink())
        first = poller.poll_and_log(poller.feeds[0])
        second = poller.poll_and_log(poller.feeds[0])
        assert poller.errors[FEED_URL] == 2
        assert second >= first * 0.9  # the delay grows (jittered), never shrinks to a hot loop


def test_a_bug_on_one_feed_is_that_feeds_error_and_polling_goes_on() -> None:
    class Exploding(InMemoryFeedState):
        def unseen(self, fingerprints: dict[str, str]) -> Unseen:
            raise KeyError("boom")

    poller = _poller(ScriptedFetch({FEED_URL: _ok(_rss("a"))}), Exploding(), FakeSink())
    delay = poller.poll_and_log(poller.feeds[0])
    assert delay > 0 and poller.errors[FEED_URL] == 1
    assert "KeyError" in poller.state.health[FEED_URL].last_error  # type: ignore[attr-defined]


def test_gone_feeds_are_muted_and_probed_weekly() -> None:
    poller = _poller(
        ScriptedFetch({FEED_URL: FetchResponse(410, FEED_URL, {}, b"")}),
        InMemoryFeedState(),
        FakeSink(),
    )
    delay = poller.poll_and_log(poller.feeds[0])
    assert delay == 7 * 24 * 3600 and poller.state.health[FEED_URL].last_status == "gone"  # type: ignore[attr-defined]


def test_retry_after_is_honoured_on_429() -> None:
    busy = FetchResponse(429, FEED_URL, {"retry-after": "5000"}, b"")
    poller = _poller(ScriptedFetch({FEED_URL: busy}), InMemoryFeedState(), FakeSink())
    assert poller.poll_and_log(poller.feeds[0]) >= 5000


def test_a_permanent_redirect_is_followed_from_then_on() -> None:
    new_url = "http://feeds.example/new-rss"
    moved = FetchResponse(200, new_url, {"etag": '"v1"'}, _rss("a"), permanent_redirect=new_url)
    fetch, state = ScriptedFetch({FEED_URL: moved, new_url: _ok(_rss("a"))}), InMemoryFeedState()
    poller = _poller(fetch, state, FakeSink())
    poller.poll_feed(poller.feeds[0])
    poller.poll_feed(poller.feeds[0])
    assert [url for url, _ in fetch.requests] == [FEED_URL, new_url]


def test_the_interval_adapts_to_what_polls_bring() -> None:
    fetch = ScriptedFetch({FEED_URL: FetchResponse(304, FEED_URL, {}, b"")})
    poller = _poller(fetch, InMemoryFeedState(), FakeSink())
    delays = [poller.poll_and_log(poller.feeds[0]) for _ in range(3)]
    assert poller.intervals[FEED_URL] == pytest.approx(60 * 1.25**3)
    assert delays[-1] > delays[0] * 1.2


def test_guid_collisions_and_shared_links_inside_one_feed() -> None:
    """Identity is the canonical link: a GUID reused for two stories (a CMS that numbers
    per section) keeps both, and two items for one page (a GUID changed on edit) send one."""
    items = (
        '<item><title>One</title><link>https://example.org/one</link><guid isPermaLink="false">7</guid></item>'
        '<item><title>Two</title><link>https://example.org/two</link><guid isPermaLink="false">7</guid></item>'
        '<item><title>Two, edited</title><link>https://example.org/two?utm_source=x</link><guid isPermaLink="false">8</guid></item>'
        '<item><title>Permalink</title><guid isPermaLink="true">https://example.org/three</guid></item>'
    )
    body = f'<rss version="2.0"><channel><title>X</title>{items}</channel></rss>'.encode()
    sink = FakeSink()
    poller = _poller(ScriptedFetch({FEED_URL: _ok(body)}), InMemoryFeedState(), sink)
    assert poller.poll_feed(poller.feeds[0]).sent == 3
    assert sorted(json.loads(o.value)["url"] for o in sink.sent) == [
        "https://example.org/one",
        "https://example.org/three",
        "https://example.org/two",
    ]


def test_an_article_in_two_feeds_of_one_outlet_is_sent_once() -> None:
    state, sink = InMemoryFeedState(), FakeSink()
    world, europe = "https://example.org/world.xml", "https://example.org/europe.xml"
    fetch = ScriptedFetch({world: _ok(_rss("a", "b")), europe: _ok(_rss("b", "c"))})
    poller = Poller(
        feeds=[FeedConfig(world, "Example"), FeedConfig(europe, "Example")],
        fetch=fetch,
        state=state,
        sink=sink,
        topics=Topics(),
        interval_s=60,
    )
    sent = [poller.poll_feed(feed).sent for feed in poller.feeds]
    assert sent == [2, 1]  # b was sent with the first feed


def test_committed_entries_are_remembered_once_redis_answers_again() -> None:
    class Flaky(InMemoryFeedState):
        failures = 2

        def mark_seen(self, fingerprints: dict[str, str]) -> None:
            if self.failures:
                self.failures -= 1
                raise TransientError("redis unreachable (fake)")
            super().mark_seen(fingerprints)

    sink = FakeSink()
    poller = _poller(ScriptedFetch({FEED_URL: _ok(_rss("a", "b"))}), Flaky(), sink)
    assert poller.poll_feed(poller.feeds[0]).sent == 2
    assert poller.poll_feed(poller.feeds[0]).sent == 0  # not sent again: remembered
    assert len(sink.sent) == 2


def test_entries_are_committed_before_they_are_remembered_as_seen() -> None:
    """Remembered first, a crash before the commit would lose them (the transaction aborted,
    the entries never sent again)."""
    sink = FakeSink()
    commits_when_marked: list[int] = []

    class Watching(InMemoryFeedState):
        def mark_seen(self, fingerprints: dict[str, str]) -> None:
            commits_when_marked.append(sink.commits)
            super().mark_seen(fingerprints)

    poller = _poller(ScriptedFetch({FEED_URL: _ok(_rss("a", "b"))}), Watching(), sink)
    poller.poll_feed(poller.feeds[0])
    assert commits_when_marked == [1]


class _HeldSink(FakeSink):
    """A sink whose first commit waits until the test lets it end, so that other feeds'
    polls come while a transaction is under way; what each commit held."""

    def __init__(self, fail_second: bool = False) -> None:
        super().__init__()
        self.in_commit, self.release = threading.Event(), threading.Event()
        self.committed: list[list[str]] = []
        self.fail_second = fail_second

    def commit(self) -> None:
        if not self.committed:
            self.in_commit.set()
            assert self.release.wait(10)
        elif self.fail_second:
            raise TransientError("the broker went away")
        super().commit()
        self.committed.append([json.loads(o.value)["url"] for o in self.sent])
        self.sent.clear()


def _three_feeds(sink: FakeSink) -> tuple[Poller, list[FeedConfig]]:
    feeds = [FeedConfig(f"http://feeds.example/{n}", f"F{n}", language="en") for n in range(3)]
    bodies = {
        feeds[0].url: _rss("a"),
        feeds[1].url: _rss("b", "shared"),
        feeds[2].url: _rss("c", "shared"),
    }
    fetch = ScriptedFetch({url: FetchResponse(200, url, {}, body) for url, body in bodies.items()})
    return Poller(feeds, fetch, InMemoryFeedState(), sink, Topics(), interval_s=60), feeds


def _poll_during_the_first_commit(
    poller: Poller, feeds: list[FeedConfig], sink: _HeldSink
) -> list[PollResult]:
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(poller.poll_feed, feeds[0])
        assert sink.in_commit.wait(10)
        later = [pool.submit(poller.poll_feed, feed) for feed in feeds[1:]]
        deadline = time.monotonic() + 10
        while len(poller._waiting) < 2:  # both wait for the transaction under way
            assert time.monotonic() < deadline
            time.sleep(0.01)
        sink.release.set()
        return [first.result(), *(f.result() for f in later)]


def test_feeds_polled_during_a_transaction_are_sent_together_in_the_next() -> None:
    sink = _HeldSink()
    poller, feeds = _three_feeds(sink)
    results = _poll_during_the_first_commit(poller, feeds, sink)
    assert sink.committed[0] == ["https://example.org/a"]
    assert len(sink.committed) == 2  # the two later feeds: one transaction
    assert sorted(sink.committed[1]) == [
        "https://example.org/b",
        "https://example.org/c",
        "https://example.org/shared",  # listed by both feeds, sent once
    ]
    assert sorted(r.sent for r in results) == [1, 1, 2]


def test_a_failed_transaction_fails_every_feed_in_it() -> None:
    sink = _HeldSink(fail_second=True)
    poller, feeds = _three_feeds(sink)
    with pytest.raises(TransientError, match="went away"):
        _poll_during_the_first_commit(poller, feeds, sink)
    assert not poller._sending and poller._waiting == []
    state = poller.state
    assert isinstance(state, InMemoryFeedState)
    assert feeds[1].url not in state.saved and feeds[2].url not in state.saved  # polled again


class _AbortFails(_HeldSink):
    """The second transaction fails and so does its abort (a broker gone for good)."""

    def abort(self) -> None:
        raise TransientError("abort failed too")


def test_a_failed_abort_still_ends_every_feeds_wait() -> None:
    sink = _AbortFails(fail_second=True)
    poller, feeds = _three_feeds(sink)
    with pytest.raises(TransientError):
        _poll_during_the_first_commit(poller, feeds, sink)
    assert not poller._sending and poller._waiting == []


def test_a_changed_version_of_an_entry_another_feed_lists_goes_too() -> None:
    sink = _HeldSink()
    poller, feeds = _three_feeds(sink)
    item = "<item><title>{}</title><link>https://example.org/shared</link></item>"
    changed = f'<rss version="2.0"><channel><title>X</title>{item.format("Fixed")}</channel></rss>'
    assert isinstance(poller.fetch, ScriptedFetch)
    poller.fetch.responses[feeds[2].url] = FetchResponse(200, feeds[2].url, {}, changed.encode())
    results = _poll_during_the_first_commit(poller, feeds, sink)
    assert sorted(sink.committed[1]).count("https://example.org/shared") == 2
    assert [r.sent for r in results] == [1, 2, 1]
