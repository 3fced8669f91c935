"""The extract stage: an entry from the poller -> fetch its page -> extract -> an article.

A batch's pages are fetched ahead of their turn while the stage extracts them in order:
fetched one at a time, a stage reading sites 200 ms away would spend most of its time
waiting (five pages a second), whatever its CPU. The stage only starts pages and asks for
their results (PageFetches); the service hands it adapters/page_fetches.py, which moves
all of a batch's transfers on in the stage's own thread.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from adapters.errors import PoisonMessage
from adapters.http_fetch import FetchFailure, FetchResponse
from ingest.extract import Extraction, choose_body, extract_page, page_text
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
Started = TypeVar("Started")


class PageFetches(Protocol[Started]):
    """Pages started ahead of their turn; a result is asked for once, in the order started."""

    def start(self, url: str) -> Started: ...
    def result(self, started: Started) -> Fetched: ...
    def close(self) -> None: ...


@dataclass
class OneAtATime:
    """A fetch function as PageFetches: each page is fetched when its result is asked for."""

    fetch: Fetch

    def start(self, url: str) -> str:
        return url

    def result(self, started: str) -> Fetched:
        return self.fetch(started)

    def close(self) -> None:
        pass


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
    pages: PageFetches[Any]
    topics: Topics
    budget_s: float = 10.0
    robots: RobotsPolicy | None = None  # None: robots.txt is not read (tests, replays)
    # Pages started and not yet extracted, at most: so at most that many bodies held. How
    # many of them go to one host at once is the fetcher's politeness rule.
    fetches_at_once: int = 1

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
        """Each entry's article, in order. Its page is started ahead, at most fetches_at_once
        pages started and not yet extracted, and extracted in its turn within its budget."""
        to_fetch = [attempt(self._page_url, entry) for entry, _ in inputs]
        ahead: dict[int, Any] = {}
        queued, window = 0, max(1, self.fetches_at_once)
        outcomes: list[Outcome] = []
        for i, (entry, _) in enumerate(inputs):
            while queued < len(inputs) and len(ahead) < window:
                url = to_fetch[queued]
                if isinstance(url, str):
                    ahead[queued] = attempt(self.pages.start, url)
                queued += 1
            url, started = to_fetch[i], ahead.pop(i, None)
            if isinstance(url, Exception):
                outcomes.append(url)
            elif isinstance(started, Exception):
                outcomes.append(started)
            elif url is None:
                outcomes.append(attempt(self._disallowed, entry))
            else:
                outcomes.append(attempt(self._fetched_article, entry, started))
        return outcomes

    def close(self) -> None:
        self.pages.close()

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

    def _fetched_article(self, entry: dict[str, Any], started: Any) -> list[OutRecord]:
        fetched = self.pages.result(started)
        page, note = _page_of(fetched, self.budget_s)
        fetched_url = fetched.url if isinstance(fetched, FetchResponse) else None
        article = build_article(entry, page, fetched_url, note)
        return [encode(self.topics.articles, article["article_id"], article, "article.v1")]
