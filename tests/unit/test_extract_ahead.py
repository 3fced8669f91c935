"""The extract stage starts a batch's pages ahead of their turn, a window at a time, and
still answers each entry in order with its own outcome. How the pages then travel at once,
politely per host, is the fetcher's (tests/integration/test_page_fetches.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from ingest import extract_stage
from ingest.extract_stage import ExtractStage, FetchOnDemand
from ingest.fetching import FetchFailure, FetchResponse
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


@dataclass
class Recorded:
    """PageFetches that answers at once and writes down what the stage asked, in order."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def start(self, url: str) -> str:
        self.calls.append(("start", url))
        return url

    def result(self, started: str) -> FetchResponse:
        self.calls.append(("result", started))
        return _page(started)

    def close(self) -> None:
        self.calls.append(("close", ""))


def test_pages_are_started_a_window_ahead_and_answered_in_order() -> None:
    urls = [f"https://site{n}.example/story" for n in range(5)]
    pages = Recorded()
    stage = ExtractStage(pages, Topics(), fetches_at_once=3)
    outcomes = stage.handle_batch(_inputs(urls))
    assert [json.loads(o[0].value)["url"] for o in outcomes if isinstance(o, list)] == urls
    # Three pages started before the first is extracted; one more after each extraction.
    assert pages.calls == [
        ("start", urls[0]),
        ("start", urls[1]),
        ("start", urls[2]),
        ("result", urls[0]),
        ("start", urls[3]),
        ("result", urls[1]),
        ("start", urls[4]),
        ("result", urls[2]),
        ("result", urls[3]),
        ("result", urls[4]),
    ]


def test_one_at_a_time_by_default() -> None:
    urls = ["https://a.example/1", "https://a.example/2"]
    pages = Recorded()
    ExtractStage(pages, Topics()).handle_batch(_inputs(urls))
    assert pages.calls == [
        ("start", urls[0]),
        ("result", urls[0]),
        ("start", urls[1]),
        ("result", urls[1]),
    ]


def test_a_failing_fetch_is_its_entrys_outcome_alone() -> None:
    def fetch(url: str) -> FetchResponse | FetchFailure:
        if url.endswith("/bug"):
            raise RuntimeError("a bug in the fetcher")
        if url.endswith("/down"):
            return FetchFailure(url, "connection refused", "network")
        return _page(url)

    urls = ["https://a.example/ok", "https://a.example/bug", "https://a.example/down"]
    stage = ExtractStage(FetchOnDemand(fetch), Topics(), fetches_at_once=3)
    first, second, third = stage.handle_batch(_inputs(urls))
    stage.close()
    assert isinstance(first, list) and json.loads(first[0].value)["body_source"] == "page"
    assert isinstance(second, RuntimeError)
    # No page and no text in the feed: a per-article error, as when fetched one at a time.
    assert isinstance(third, Exception) and "connection refused" in str(third)


def test_the_heap_is_given_back_once_after_a_batch_with_a_large_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trims: list[int] = []
    monkeypatch.setattr(extract_stage, "give_back_freed_memory", lambda: trims.append(1))
    large = "<html><body><article>" + BODY * 4_000 + "</article></body></html>"

    def fetch(url: str) -> FetchResponse:
        html = large if "large" in url else f"<html><body><article>{BODY}</article></body></html>"
        return FetchResponse(200, url, {"content-type": "text/html"}, html.encode())

    stage = ExtractStage(FetchOnDemand(fetch), Topics())
    stage.handle_batch(_inputs(["https://a.example/small", "https://a.example/small2"]))
    assert trims == []
    stage.handle_batch(_inputs(["https://a.example/large", "https://a.example/small"]))
    assert trims == [1]
    stage.handle_batch(_inputs(["https://a.example/small"]))
    assert trims == [1]
