"""A stop aborts transfers in progress, even a page a server trickles within every timeout
(a byte each 0.5 s: the read timeout never fires, the total deadline is 30 s), so that a
stopping stage is done long before the supervisor's SIGKILL. Against a local server; the
whole command stopped so is tests/e2e/test_stop_in_transfer.py."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters.address_policy import parse_networks
from adapters.http_fetch import FetchLimits, HttpFetcher
from adapters.page_fetches import PageFetches
from ingest.extract_stage import ExtractStage
from ingest.fetching import ABORTED, FetchFailure
from ingest.politeness import HostLimiter
from schemas.contracts import example
from schemas.topics import Topics
from tests.fakes import record
from workers.errors import Interrupted

pytestmark = pytest.mark.integration

TRICKLE_BYTES = 120  # a byte every TRICKLE_EVERY_S: a minute for the whole page
TRICKLE_EVERY_S = 0.5
# What a stop may take here: about a second is expected (libcurl's progress callback comes
# at least once a second); the bound is generous so that a loaded machine does not fail it.
STOPPED_WITHIN_S = 5.0


class Trickling(ThreadingHTTPServer):
    """/trickle/* sends its body a byte at a time; `in_transfer` is set once bytes flow."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.in_transfer = threading.Event()
        self.requests = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Trickling

    def do_GET(self) -> None:
        self.server.requests += 1
        if not self.path.startswith("/trickle/"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(TRICKLE_BYTES))
        self.end_headers()
        try:
            for sent in range(TRICKLE_BYTES):
                self.wfile.write(b"x")
                self.wfile.flush()
                if sent == 1:
                    self.server.in_transfer.set()
                time.sleep(TRICKLE_EVERY_S)
        except ConnectionError:
            pass  # the client aborted: what these tests want

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Trickling]:
    trickling = Trickling()
    threading.Thread(target=trickling.serve_forever, daemon=True).start()
    yield trickling
    trickling.shutdown()
    trickling.server_close()


def _limits() -> FetchLimits:
    return FetchLimits(allowlist=parse_networks(["127.0.0.1/32"]))


def _stop_once_in_transfer(server: Trickling, stop: threading.Event) -> threading.Thread:
    """Sets `stop` once the page is in transfer, as SIGTERM would; returns the thread."""

    def stop_then() -> None:
        if server.in_transfer.wait(15):
            stop.set()

    thread = threading.Thread(target=stop_then, daemon=True)
    thread.start()
    return thread


class TimedStop(threading.Event):
    """A stop event that notes when it was set."""

    set_at = math.inf

    def set(self) -> None:
        self.set_at = time.monotonic()
        super().set()

    def seconds_since(self) -> float:
        return time.monotonic() - self.set_at


def test_a_trickling_feed_fetch_is_aborted_by_the_stop(server: Trickling) -> None:
    stop = TimedStop()
    fetcher = HttpFetcher(_limits(), stop)
    stopper = _stop_once_in_transfer(server, stop)
    # On a pool, as the poller fetches: leaving the pool waits for the fetch.
    with ThreadPoolExecutor(2) as pool:
        fetched = pool.submit(fetcher.get, f"{server.base_url}/trickle/feed.xml")
    fetcher.close()
    stopper.join()
    assert stop.is_set(), "the page never went into transfer"
    assert stop.seconds_since() < STOPPED_WITHIN_S
    result = fetched.result()
    assert isinstance(result, FetchFailure) and result.kind == ABORTED, result


def test_nothing_is_requested_once_stopped(server: Trickling) -> None:
    stop = threading.Event()
    stop.set()
    fetcher = HttpFetcher(_limits(), stop)
    result = fetcher.get(f"{server.base_url}/trickle/feed.xml")
    fetcher.close()
    assert isinstance(result, FetchFailure) and result.kind == ABORTED
    assert server.requests == 0


def test_every_page_under_way_is_aborted_by_the_stop(server: Trickling) -> None:
    stop = TimedStop()
    hosts = HostLimiter(2, delay_s=0.0)
    pages = PageFetches(_limits(), hosts, stop)
    # Two in transfer, a third waiting for the host's free slot.
    started = [pages.start(f"{server.base_url}/trickle/{n}.html") for n in range(3)]
    stopper = _stop_once_in_transfer(server, stop)
    results = [pages.result(page) for page in started]
    stopper.join()
    after = pages.result(pages.start(f"{server.base_url}/trickle/late.html"))
    pages.close()
    assert stop.is_set(), "no page went into transfer"
    assert stop.seconds_since() < STOPPED_WITHIN_S
    assert [(r.kind if isinstance(r, FetchFailure) else r) for r in [*results, after]] == [
        ABORTED
    ] * 4
    assert sum(hosts.in_flight.values()) == 0, "a host's slot was kept"
    assert server.requests <= 2, "a page that waited for its host went out after the stop"


def test_the_extract_stage_hands_a_trickling_page_back(server: Trickling) -> None:
    stop = TimedStop()
    pages = PageFetches(_limits(), HostLimiter(2, delay_s=0.0), stop)
    stage = ExtractStage(pages, Topics(), stop=stop, fetches_at_once=2)
    entry = dict(example("entry.v1"), url=f"{server.base_url}/trickle/story.html")
    assert entry.get("summary") or entry.get("content"), "the feed's text must be there to refuse"
    stopper = _stop_once_in_transfer(server, stop)
    with pytest.raises(Interrupted):
        stage.handle_batch([(entry, record(json.dumps(entry).encode()))])
    stopper.join()
    stage.close()
    assert stop.seconds_since() < STOPPED_WITHIN_S
