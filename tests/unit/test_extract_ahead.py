"""The extract stage fetches a batch's pages ahead of their turn, a few at once and politely
per host, and still answers each entry in order with its own outcome."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

from adapters.http_fetch import FetchFailure, FetchResponse
from ingest.extract_stage import ExtractStage
from schemas.contracts import example
from schemas.records import InRecord
from schemas.topics import Topics
from tests.fakes import record

BODY = "<p>" + "The harbour reopened to ships this morning after a week of storms. " * 6 + "</p>"


def _page(url: str) -> FetchResponse:
    html = f"<html><body><article><h1>{url}</h1>{BODY}</article></body></html>"
    return FetchResponse(200, url, {"content-type": "text/html"}, html.encode())


def _inputs(urls: list[str]) -> list[tuple[dict[str, Any], InRecord]]:
    entries = [
        dict(example("entry.v1"), url=url, article_id=f"{n:032x}", summary=None, content=None)
        for n, url in enumerate(urls)
    ]
    return [(entry, record(b"{}")) for entry in entries]


def test_pages_of_a_batch_are_fetched_at_the_same_time_and_answered_in_order() -> None:
    # Each fetch waits until four are in flight: fetched one at a time, none would return.
    together = threading.Barrier(4, timeout=10)

    def fetch(url: str) -> FetchResponse:
        together.wait()
        return _page(url)

    urls = [f"https://site{n}.example/story" for n in range(4)]
    stage = ExtractStage(fetch, Topics(), fetches_at_once=4, per_host=1)
    outcomes = stage.handle_batch(_inputs(urls))
    stage.close()
    assert [json.loads(o[0].value)["url"] for o in outcomes if isinstance(o, list)] == urls


def test_no_more_pages_than_allowed_are_in_flight_to_one_host() -> None:
    in_flight, most = Counter[str](), Counter[str]()
    lock = threading.Lock()

    def fetch(url: str) -> FetchResponse:
        host = url.split("/")[2]
        with lock:
            in_flight[host] += 1
            most[host] = max(most[host], in_flight[host])
        time.sleep(0.05)
        with lock:
            in_flight[host] -= 1
        return _page(url)

    urls = [f"https://one.example/{n}" for n in range(8)] + ["https://other.example/x"]
    stage = ExtractStage(fetch, Topics(), fetches_at_once=8, per_host=2)
    outcomes = stage.handle_batch(_inputs(urls))
    stage.close()
    assert all(isinstance(o, list) for o in outcomes)
    assert most == {"one.example": 2, "other.example": 1}


def test_a_failing_fetch_is_its_entrys_outcome_alone() -> None:
    def fetch(url: str) -> FetchResponse | FetchFailure:
        if url.endswith("/bug"):
            raise RuntimeError("a bug in the fetcher")
        if url.endswith("/down"):
            return FetchFailure(url, "connection refused", "network")
        return _page(url)

    urls = ["https://a.example/ok", "https://a.example/bug", "https://a.example/down"]
    stage = ExtractStage(fetch, Topics(), fetches_at_once=3, per_host=3)
    first, second, third = stage.handle_batch(_inputs(urls))
    stage.close()
    assert isinstance(first, list) and json.loads(first[0].value)["body_source"] == "page"
    assert isinstance(second, RuntimeError)
    # No page and no text in the feed: a per-article error, as when fetched one at a time.
    assert isinstance(third, Exception) and "connection refused" in str(third)
