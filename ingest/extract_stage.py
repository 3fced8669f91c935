"""The extract stage: an entry from the poller -> fetch its page -> extract -> an article.

A batch's pages are fetched ahead of their turn by a few threads while the stage's own
thread extracts them in order: fetched one at a time, a stage reading sites 200 ms away
would spend most of its time waiting (five pages a second), whatever its CPU.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import PoisonMessage
from adapters.http_fetch import FetchFailure, FetchResponse
from ingest.extract import Extraction, choose_body, extract_page, page_text
from ingest.politeness import HostLimiter, host_of
from ingest.robots import RobotsPolicy
from ingest.time_budget import OverBudget, time_budget
from schemas.contracts import example
from schemas.messages import ArticleMessage
from schemas.records import InRecord, OutRecord
from schemas.timestamps import utc_now_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.runner import Outcome, attempt

Fetched = FetchResponse | FetchFailure
Fetch = Callable[[str], Fetched]


def _page_of(fetched: Fetched, budget_s: float) -> tuple[Extraction | None, str]:
    """The extraction (None when there is no page) and a note on how the fetch went."""
    if isinstance(fetched, FetchFailure):
        return None, f"fetch failed ({fetched.kind}): {fetched.reason}"
    if fetched.status != 200:
        return None, f"fetch answered HTTP {fetched.status}"
    try:
        with time_budget(budget_s):
            text = page_text(fetched.body, fetched.headers.get("content-type"))
            return extract_page(text, fetched.url), "fetched"
    except OverBudget as exc:
        return None, f"extraction stopped: {exc}"


def build_article(
    entry: dict[str, Any], page: Extraction | None, fetched_url: str | None, fetch_note: str
) -> ArticleMessage:
    body = choose_body(page, entry.get("content"), entry.get("summary"))
    if body is None:
        raise PoisonMessage(
            f"no article text for {entry['url']}: {fetch_note}, and the feed has no text",
            error_type="extraction_empty",
        )
    title = (page.title if page and page.title else None) or entry["title"]
    return {
        "schema_version": 1,
        "article_id": entry["article_id"],
        "url": entry["url"],
        "fetched_url": fetched_url,
        "feed_url": entry["feed_url"],
        "outlet": entry["outlet"],
        "title": title,
        "body": "\n\n".join(body.paragraphs),
        "paragraphs": list(body.paragraphs),
        "body_source": body.source,
        "author": page.author if page else None,
        "site_name": page.site_name if page else None,
        "published": entry.get("published"),
        "language_hint": entry.get("language_hint"),
        "feed_tags": entry.get("feed_tags", []),
        "page_language": page.page_language if page else None,
        "page_paragraphs": list(page.page_paragraphs) if page else [],
        "page_canonical_url": page.canonical_url if page else None,
        "image": page.image if page else None,
        "page_categories": list(page.categories) if page else [],
        "page_tags": list(page.tags) if page else [],
        "paywalled": page.paywalled if page else False,
        "seen_at": entry["seen_at"],
        "extracted_at": utc_now_iso(),
    }


@dataclass
class ExtractStage:
    fetch: Fetch
    topics: Topics
    budget_s: float = 10.0
    robots: RobotsPolicy | None = None  # None: robots.txt is not read (tests, replays)
    # Pages fetched or waiting for their turn at once, and how many of them from one host
    # (a batch is often one outlet's: politeness caps what its site sees from us).
    fetches_at_once: int = 1
    per_host: int = 1
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _hosts: HostLimiter = field(init=False, repr=False)
    _hosts_changed: threading.Condition = field(
        default_factory=threading.Condition, init=False, repr=False
    )

    def __post_init__(self) -> None:
        # The poller's rule of how hard we hit one host, with no pause between two page
        # requests: a free slot at the host is all a fetch waits for.
        self._hosts = HostLimiter(max(1, self.per_host), delay_s=0.0)

    def warm_up(self) -> None:
        """Extracts a page made of the contract's example article, fetching nothing, so that
        what trafilatura and lxml build on their first call is ready before the first entry."""
        article = example("article.v1")
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article["paragraphs"])
        page = f"<html><head><title>{html.escape(article['title'])}</title></head><body>"
        page += f"<article><h1>{html.escape(article['title'])}</h1>{paragraphs}</article>"
        fetched = FetchResponse(200, article["url"], {"content-type": "text/html"}, page.encode())
        _page_of(fetched, self.budget_s)

    def handle(self, entry: dict[str, Any], record: InRecord) -> list[OutRecord]:
        [outcome] = self.handle_batch([(entry, record)])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def handle_batch(self, inputs: Sequence[tuple[dict[str, Any], InRecord]]) -> list[Outcome]:
        """Each entry's article, in order. Its page is fetched ahead, at most fetches_at_once
        pages in flight or fetched and not yet extracted (so at most that many bodies held),
        while this thread extracts the one whose turn it is, within its time budget."""
        to_fetch = [attempt(self._page_url, entry) for entry, _ in inputs]
        ahead: dict[int, Future[Fetched]] = {}
        queued, window = 0, max(1, self.fetches_at_once)
        outcomes: list[Outcome] = []
        for i, (entry, _) in enumerate(inputs):
            while queued < len(inputs) and len(ahead) < window:
                url = to_fetch[queued]
                if isinstance(url, str):
                    ahead[queued] = self._fetch_pool().submit(self._fetch_politely, url)
                queued += 1
            url = to_fetch[i]
            if isinstance(url, Exception):
                outcomes.append(url)
            elif url is None:
                outcomes.append(attempt(self._disallowed, entry))
            else:
                outcomes.append(attempt(self._fetched_article, entry, ahead.pop(i)))
        return outcomes

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _page_url(self, entry: dict[str, Any]) -> str | None:
        """The page to fetch, or None when robots.txt disallows it (read here, in turn: a
        site's rules are fetched once, then kept)."""
        robots = self.robots if entry.get("obey_robots_txt", True) else None
        if robots is not None and not robots.allows(entry["url"]):
            return None
        url: str = entry["url"]
        return url

    def _disallowed(self, entry: dict[str, Any]) -> list[OutRecord]:
        article = build_article(entry, None, None, "robots.txt disallows the page")
        article["robots_disallowed"] = True
        return [encode(self.topics.articles, article["article_id"], article, "article.v1")]

    def _fetched_article(self, entry: dict[str, Any], fetch: Future[Fetched]) -> list[OutRecord]:
        fetched = fetch.result()
        page, note = _page_of(fetched, self.budget_s)
        fetched_url = fetched.url if isinstance(fetched, FetchResponse) else None
        article = build_article(entry, page, fetched_url, note)
        return [encode(self.topics.articles, article["article_id"], article, "article.v1")]

    def _fetch_pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            workers = max(1, self.fetches_at_once)
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="page-fetch")
        return self._pool

    def _fetch_politely(self, url: str) -> Fetched:
        host = host_of(url)
        with self._hosts_changed:
            self._hosts_changed.wait_for(lambda: self._hosts.may_start(host, time.monotonic()))
            self._hosts.started(host, time.monotonic())
        try:
            return self.fetch(url)
        finally:
            with self._hosts_changed:
                self._hosts.finished(host)
                self._hosts_changed.notify_all()
