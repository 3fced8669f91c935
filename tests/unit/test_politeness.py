import threading
from collections.abc import Mapping

from ingest.feed_health import FeedHealth
from ingest.feeds import FeedConfig
from ingest.fetching import FetchFailure, FetchResponse
from ingest.memory_feed_state import InMemoryFeedState
from ingest.politeness import HostLimiter, host_of
from ingest.poller import Poller
from schemas.topics import Topics
from tests.fakes import FakeSink


def test_one_request_in_flight_per_host_and_a_pause_between_two() -> None:
    hosts = HostLimiter(max_in_flight=1, delay_s=0.5)
    assert hosts.may_start("a.example", 10.0)
    hosts.started("a.example", 10.0)
    assert not hosts.may_start("a.example", 11.0)  # still in flight
    assert hosts.may_start("b.example", 10.0)  # other hosts never wait
    hosts.finished("a.example")
    assert not hosts.may_start("a.example", 10.2)  # too soon after the last start
    assert hosts.may_start("a.example", 10.5)


def test_host_of_ignores_case_port_and_path() -> None:
    assert host_of("https://News.Example.org:8443/rss?x=1") == "news.example.org"


SLOW, FAST = "http://slow.example/rss", "http://fast.example/rss"
RSS = b'<rss version="2.0"><channel><title>X</title></channel></rss>'
WAIT_S = 10.0  # only a broken poller takes this long; a working one answers in milliseconds


class HealthWatch(InMemoryFeedState):
    """Feed state that tells the test when the fast feed's poll has been recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.fast_recorded = threading.Event()

    def record_health(self, feed_url: str, health: FeedHealth) -> None:
        super().record_health(feed_url, health)
        if feed_url == FAST:
            self.fast_recorded.set()


def test_a_slow_server_holds_only_its_own_feed() -> None:
    slow_started, release_slow = threading.Event(), threading.Event()

    def fetch(url: str, headers: Mapping[str, str] | None = None) -> FetchResponse | FetchFailure:
        if url == SLOW:
            slow_started.set()
            # The slow server answers only when the test lets it: the fast feed's poll has to
            # complete while this one is still in flight.
            release_slow.wait(WAIT_S)
        return FetchResponse(200, url, {}, RSS)

    state = HealthWatch()
    feeds = [FeedConfig(SLOW, "Slow"), FeedConfig(FAST, "Fast")]
    poller = Poller(feeds, fetch, state, FakeSink(), Topics(), interval_s=0.2, min_interval_s=0.2)
    thread = threading.Thread(target=poller.run)
    thread.start()
    try:
        assert slow_started.wait(WAIT_S), "the slow feed was never fetched"
        assert state.fast_recorded.wait(WAIT_S), "the fast feed waited for the slow one"
        slow_done = SLOW in state.health
    finally:
        release_slow.set()
        poller.stop.set()
        thread.join(WAIT_S)
    assert not thread.is_alive()
    assert not slow_done
