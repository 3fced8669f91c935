"""`newsflow run` stopped by SIGTERM while the extract stage is inside a page and the poller
inside a feed that a server trickles (a byte each 0.5 s: within the read timeout, under the
total deadline): every stage is done before the supervisor's SIGKILL, the page's entry
is handed back (neither made into an article of the feed's text nor committed), and the
feed cut short is no feed error."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka_client import committed_offsets, ensure_topics, read_topic
from newsflow.supervisor import STOP_GRACE_S
from schemas.topics import Topics
from tests.conftest import Namespace
from tests.e2e.pipeline_run import pipeline_env

pytestmark = pytest.mark.e2e

# A byte every 0.5 s, for four minutes: still in transfer whenever the stop comes, however
# long the stages take to start (the total deadline is raised above it for this test).
TRICKLE_BYTES = 480


class Site(ThreadingHTTPServer):
    """A feed whose one story trickles, and a feed that trickles itself."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.page_in_transfer = threading.Event()
        self.feed_in_transfer = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def feed(self) -> bytes:
        item = (
            f"<item><title>Harbour reopens</title><link>{self.base_url}/story.html</link>"
            "<description>The harbour reopened to ships this morning after a week of storms."
            "</description></item>"
        )
        return f'<rss version="2.0"><channel><title>Slow</title>{item}</channel></rss>'.encode()


class _Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        if self.path == "/feed.xml":
            self._send(self.server.feed(), "application/rss+xml")
        elif self.path == "/story.html":
            self._trickle("text/html", self.server.page_in_transfer)
        elif self.path == "/slow-feed.xml":
            self._trickle("application/rss+xml", self.server.feed_in_transfer)
        else:
            self.send_error(404)  # robots.txt among them: no rules

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, content_type: str, in_transfer: threading.Event) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(TRICKLE_BYTES))
        self.end_headers()
        try:
            for sent in range(TRICKLE_BYTES):
                self.wfile.write(b" ")
                self.wfile.flush()
                if sent == 1:
                    in_transfer.set()
                time.sleep(0.5)
        except ConnectionError:
            pass  # the fetcher aborted

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_sigterm_inside_slow_transfers_stops_the_pipeline_in_time(
    kafka_bootstrap: str, redis_url: str, namespace: Namespace, site: Site, tmp_path: Path
) -> None:
    topics = Topics(namespace.topic_prefix)
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(
        f'[[feed]]\nurl = "{site.base_url}/feed.xml"\noutlet = "Slow Story"\n\n'
        f'[[feed]]\nurl = "{site.base_url}/slow-feed.xml"\noutlet = "Slow Feed"\n',
        encoding="utf-8",
    )
    ensure_topics(kafka_bootstrap, topics.all(), partitions=3)
    env = pipeline_env(
        kafka_bootstrap,
        redis_url,
        namespace,
        feeds,
        tmp_path / "state",
        metrics_port="0",
        fetch_total_timeout_s="600",
        # Both feeds are on the one test host: polled at once, not one after the other.
        poll_host_concurrency="2",
        poll_host_delay_s="0",
    )
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        run = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "run"], env=env, stdout=log, stderr=log
        )
        try:
            in_transfer = site.page_in_transfer.wait(180) and site.feed_in_transfer.is_set()
        finally:
            stopping = time.monotonic()
            run.send_signal(signal.SIGTERM)
            exit_code = run.wait(60)
            took_s = time.monotonic() - stopping
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert in_transfer, f"the page and the feed never went into transfer:\n{output[-4000:]}"

    assert exit_code == 0, output[-4000:]
    assert "did not stop in time" not in output, output[-4000:]
    assert took_s < STOP_GRACE_S, f"stopping took {took_s:.1f} s"
    # The entry whose page was in transfer went back: no article, no committed offset.
    assert "batch handed back on stop stage=extract" in output, output[-4000:]
    articles = list(
        read_topic(kafka_bootstrap, topics.articles, from_beginning=True, idle_timeout_s=2)
    )
    assert articles == []
    extract_group = f"{namespace.group_prefix}newsflow-extract-v1"
    committed = committed_offsets(kafka_bootstrap, extract_group)
    assert all(offset <= 0 for (topic, _), offset in committed.items() if topic == topics.entries)
    # The feed cut short is no feed error.
    assert f"feed poll interrupted by the stop feed={site.base_url}/slow-feed.xml" in output
    assert "feed poll failed" not in output, output[-4000:]
