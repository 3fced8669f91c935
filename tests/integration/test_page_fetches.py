"""PageFetches against a real local server: pages travel at the same time, from the one
calling thread, no more of them to one host than its politeness rule allows, and each page
gets its own answer whatever order the results are asked for in. (The checks every hop
goes through are in test_http_fetch.py, run with both fetchers.)"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters import page_fetches
from adapters.address_policy import parse_networks
from adapters.http_fetch import FetchLimits, check_destination
from adapters.page_fetches import PageFetches
from ingest.fetching import FetchFailure, FetchResponse
from ingest.politeness import HostLimiter

pytestmark = pytest.mark.integration


class Counting(ThreadingHTTPServer):
    """Answers /wait/* after every party of `together` has arrived (or breaks the barrier
    after 5 s and answers 503), /slow/* after 50 ms and /slower/* after 0.6 s; counts requests in flight per Host."""

    daemon_threads = True

    def __init__(self, together: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.together = threading.Barrier(together, timeout=5)
        self.lock = threading.Lock()
        self.in_flight, self.most = Counter[str](), Counter[str]()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Counting

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0]
        with self.server.lock:
            self.server.in_flight[host] += 1
            self.server.most[host] = max(self.server.most[host], self.server.in_flight[host])
        status = 200
        try:
            if self.path.startswith("/wait/"):
                self.server.together.wait()
            elif self.path.startswith("/slow/"):
                time.sleep(0.05)
            elif self.path.startswith("/slower/"):
                time.sleep(0.6)
        except threading.BrokenBarrierError:
            status = 503
        finally:
            with self.server.lock:
                self.server.in_flight[host] -= 1
        body = self.path.encode("ascii")
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Counting]:
    counting = Counting(together=4)
    threading.Thread(target=counting.serve_forever, daemon=True).start()
    yield counting
    counting.shutdown()
    counting.server_close()


@pytest.fixture
def two_names(monkeypatch: pytest.MonkeyPatch, server: Counting) -> tuple[str, str]:
    """one.invalid and two.invalid, both resolving to the test server."""
    port = server.server_address[1]

    def resolve(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return f"http://one.invalid:{port}", f"http://two.invalid:{port}"


def _pages(per_host: int, total_timeout_s: float = 10.0) -> PageFetches:
    limits = FetchLimits(
        allowlist=parse_networks(["127.0.0.1/32"]), total_timeout_s=total_timeout_s
    )
    return PageFetches(limits, HostLimiter(per_host, delay_s=0.0))


def test_pages_travel_at_the_same_time(server: Counting) -> None:
    # The server answers none of them until four are in: one at a time, all would be 503.
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = _pages(per_host=4)
    started = [pages.start(f"{base}/wait/{n}") for n in range(4)]
    results = [pages.result(page) for page in started]
    pages.close()
    assert [(r.status, r.body) for r in results if isinstance(r, FetchResponse)] == [
        (200, f"/wait/{n}".encode()) for n in range(4)
    ]


def test_no_more_pages_to_one_host_than_its_rule_allows(
    server: Counting, two_names: tuple[str, str]
) -> None:
    one, two = two_names
    pages = _pages(per_host=2)
    started = [pages.start(f"{one}/slow/{n}") for n in range(6)]
    started += [pages.start(f"{two}/slow/{n}") for n in range(2)]
    results = [pages.result(page) for page in started]
    pages.close()
    assert all(isinstance(r, FetchResponse) and r.status == 200 for r in results), results
    assert server.most == {"one.invalid": 2, "two.invalid": 2}


def test_each_page_gets_its_own_answer_in_any_order(server: Counting) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: a refused connection
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/slow/x"
        pages = _pages(per_host=3)
        urls = [f"{base}/slow/a", closed, f"{base}/slow/b", f"{base}/slow/c"]
        started = [pages.start(url) for url in urls]
        results = [pages.result(page) for page in reversed(started)][::-1]
    pages.close()
    first, failed, *rest = results
    assert isinstance(first, FetchResponse) and first.body == b"/slow/a"
    assert isinstance(failed, FetchFailure) and failed.kind == "network", failed
    assert [r.body for r in rest if isinstance(r, FetchResponse)] == [b"/slow/b", b"/slow/c"]


def test_a_page_waiting_for_its_host_does_not_spend_its_deadline(server: Counting) -> None:
    # Each page takes 0.6 s of a 1 s deadline; the second waits 0.6 s for the first first.
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages = _pages(per_host=1, total_timeout_s=1.0)
    started = [pages.start(f"{base}/slower/{n}") for n in range(2)]
    results = [pages.result(page) for page in started]
    pages.close()
    assert all(isinstance(r, FetchResponse) and r.status == 200 for r in results), results


@pytest.mark.parametrize("host", ["127.0.0.1", "one.invalid"])  # checked in place / looked up
def test_a_bug_in_one_pages_check_is_raised_for_that_page_alone(
    server: Counting, two_names: tuple[str, str], monkeypatch: pytest.MonkeyPatch, host: str
) -> None:

    def check(url: str, allowlist: Any) -> Any:
        if "/bug" in url:
            raise RuntimeError("a bug in the check")
        return check_destination(url, allowlist)

    monkeypatch.setattr(page_fetches, "check_destination", check)  # as page_fetches reads it
    base = f"http://{host}:{server.server_address[1]}"
    pages = _pages(per_host=2)
    bug, fine = pages.start(f"{base}/bug"), pages.start(f"{base}/slow/ok")
    with pytest.raises(RuntimeError, match="a bug in the check"):
        pages.result(bug)
    result = pages.result(fine)
    pages.close()
    assert isinstance(result, FetchResponse) and result.body == b"/slow/ok"


def test_a_first_url_urllib_cannot_split_is_refused_not_raised() -> None:
    pages = PageFetches(FetchLimits(allowlist=parse_networks(["127.0.0.1"])), HostLimiter(2))
    try:
        result = pages.result(pages.start("http://[::1/x"))
    finally:
        pages.close()
    assert isinstance(result, FetchFailure) and result.kind == "refused"
