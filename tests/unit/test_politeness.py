import threading
import time
from collections.abc import Mapping

from adapters.http_fetch import FetchFailure, FetchResponse
from ingest.feeds import FeedConfig
from ingest.politeness import HostLimiter, host_of
from ingest.poller import Poller
from schemas.topics import Topics
from tests.fakes import FakeSink, InMemoryFeedState


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


def test_a_slow_server_holds_only_its_own_feed() -> None:
    def fetch(url: str, headers: Mapping[str, str] | None = None) -> FetchResponse | FetchFailure:
        if url == SLOW:
            time.sleep(2.0)
        return FetchResponse(200, url, {}, RSS)

    state = InMemoryFeedState()
    feeds = [FeedConfig(SLOW, "Slow"), FeedConfig(FAST, "Fast")]
    poller = Poller(feeds, fetch, state, FakeSink(), Topics(), interval_s=0.2, min_interval_s=0.2)
    thread = threading.Thread(target=poller.run)
    thread.start()
    time.sleep(1.0)
    fast_polls = state.health.get(FAST)
    slow_done = SLOW in state.health
    poller.stop.set()
    thread.join(10)
    assert fast_polls is not None and not slow_done
