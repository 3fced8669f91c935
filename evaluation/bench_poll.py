"""`make bench-poll`: feed checks per second through the poller's real path (Redis feed state,
the HTTP fetcher with its SSRF check, conditional GET, parse, health record) against a local
server, side by side with bare HTTP GETs of the same URL by the same client in the same run.
Two servers: one answers 304 to the validators, one serves a 50-entry feed with 200.
Prints figures; asserts nothing. Needs no data folder."""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pycurl

from adapters.address_policy import parse_networks
from adapters.feed_state import RedisFeedState
from adapters.http_fetch import FetchLimits, HttpFetcher
from adapters.metrics import bind_prometheus
from adapters.redis_client import connect_redis
from evaluation.results import write_results
from ingest.feeds import FeedConfig
from ingest.poller import Poller
from schemas.records import OutRecord, RefusedRecord
from schemas.topics import Topics
from services.process import free_port
from services.redis_server import RedisConfig, start_redis

ETAG = '"bench-v1"'


def feed_body(entries: int) -> bytes:
    items = "".join(
        f"<item><title>Entry {n}</title><link>https://news.invalid/{n}</link>"
        f"<guid>bench-{n}</guid><description>Summary of entry {n}.</description></item>"
        for n in range(entries)
    )
    return f'<rss version="2.0"><channel><title>Bench</title>{items}</channel></rss>'.encode()


def _handler(body: bytes, honour_validators: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers do

        def setup(self) -> None:
            super().setup()
            # Headers and body leave in two writes: without this, Nagle's algorithm and the
            # client's delayed ACK add about 40 ms to every 200 and measure the server.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            if honour_validators and self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", ETAG if honour_validators else f'"{time.time_ns()}"')
            self.send_header("Last-Modified", formatdate(usegmt=True))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class NullSink:
    """Entries are counted, not sent: this measures polling, not Kafka."""

    sent = 0

    def send(self, record: OutRecord) -> RefusedRecord | None:
        self.sent += 1
        return None

    def flush(self) -> list[RefusedRecord]:
        return []

    def commit(self) -> None:
        """Nothing sent, nothing to commit."""

    def abort(self) -> None:
        """Nothing sent, nothing to drop."""


def timed(checks: int, step: Callable[[], object]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(checks):
        step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "checks_per_s": round(checks / wall, 1),
        "checks_per_min": round(checks / wall * 60),
        "cpu_us_per_check": round(cpu / checks * 1e6, 1),
    }


def _bare_get(url: str) -> pycurl.Curl:
    """A conditional GET of the URL by the fetcher's client, libcurl, with nothing around it."""
    handle = pycurl.Curl()
    handle.setopt(pycurl.URL, url)
    handle.setopt(pycurl.HTTPHEADER, [f"If-None-Match: {ETAG}"])
    handle.setopt(pycurl.WRITEFUNCTION, len)  # the body read and dropped
    return handle


def measure(name: str, server: ThreadingHTTPServer, redis_url: str, checks: int) -> dict[str, Any]:
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    limits = FetchLimits(allowlist=parse_networks(["127.0.0.1"]), max_bytes=15 * 1024 * 1024)
    fetcher, bare = HttpFetcher(limits), _bare_get(url)
    state = RedisFeedState(connect_redis(redis_url), f"bench:{name}:")
    feed = FeedConfig(url, "Bench")
    poller = Poller([feed], fetcher.get, state, NullSink(), Topics(), interval_s=60)
    poller.poll_feed(feed)  # first poll: entries and validators stored
    result = {
        "poller": timed(checks, lambda: poller.poll_and_log(feed)),
        "bare_http_get": timed(checks, bare.perform),
    }
    fetcher.close()
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checks", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=Path("results/bench-poll.json"))
    args = parser.parse_args(argv)
    bind_prometheus()  # the poller counts its polls as it does in production
    servers = {
        "304 not modified": ThreadingHTTPServer(("127.0.0.1", 0), _handler(feed_body(50), True)),
        "200 with 50 entries": ThreadingHTTPServer(
            ("127.0.0.1", 0), _handler(feed_body(50), False)
        ),
    }
    for server in servers.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cfg = RedisConfig(port=free_port(), data_dir=Path(tmp), persistent=False)
        redis_server = start_redis(cfg)
        try:
            for name, server in servers.items():
                results[name] = measure(name.split()[0], server, cfg.url, args.checks)
        finally:
            redis_server.stop()
            for server in servers.values():
                server.shutdown()
    print(
        f"{args.checks} checks of one feed on 127.0.0.1, one poller process (goal: 10,000 a minute)"
    )
    print(f"{'':<22}{'poller /min':>12}{'µs CPU':>9}{'bare GET /min':>15}{'ratio':>7}")
    for name, r in results.items():
        ratio = r["poller"]["checks_per_s"] / r["bare_http_get"]["checks_per_s"]
        print(
            f"{name:<22}{r['poller']['checks_per_min']:>12}{r['poller']['cpu_us_per_check']:>9.0f}"
            f"{r['bare_http_get']['checks_per_min']:>15}{ratio:>7.2f}"
        )
    write_results(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
