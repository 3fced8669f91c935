"""The extract stage: an entry from the poller -> fetch its page -> extract -> an article.

A batch's pages are fetched ahead of their turn while the stage extracts them in order:
fetched one at a time, a stage reading sites 200 ms away would spend most of its time
waiting (five pages a second), whatever its CPU. The stage only starts pages and asks for
their results (PageFetches); the service hands it adapters/page_fetches.py, which moves
all of a batch's transfers on in the stage's own thread.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ingest.extract import Extraction, choose_body, extract_page, page_text
from ingest.fetching import Fetch, Fetched, FetchFailure, FetchResponse, raise_if_aborted
from ingest.robots import RobotsPolicy
from ingest.text_caps import DEFAULT_MAX_BODY_BYTES, MAX_TITLE_BYTES, cap_paragraphs
from ingest.time_budget import OverBudget, time_budget
from schemas.contracts import example
from schemas.limits import cut_text
from schemas.messages import ArticleMessage
from schemas.records import InRecord, OutRecord
from schemas.timestamps import utc_now_iso
from schemas.topics import Topics
from workers.codec import encode
from workers.errors import Interrupted, PoisonMessage
from workers.process_gc import give_back_freed_memory
from workers.runner import Outcome, attempt

# A page this big leaves a parse tree of tens of megabytes behind it in the C heap.
LARGE_PAGE_BYTES = 1024 * 1024
Started = TypeVar("Started")


class PageFetches(Protocol[Started]):
    """Pages started ahead of their turn; a result is asked for once, in the order started."""

    def start(self, url: str) -> Started: ...
    def result(self, started: Started) -> Fetched: ...
    def close(self) -> None: ...


@dataclass
class FetchOnDemand:
    """A fetch function as PageFetches: each page is fetched when its result is asked for."""

    fetch: Fetch

    def start(self, url: str) -> str:
        return url

    def result(self, started: str) -> Fetched:
        return self.fetch(started)

    def close(self) -> None:
        pass


def _page_of(
    fetched: Fetched, budget_s: float, stop: threading.Event | None = None
) -> tuple[Extraction | None, str]:
    """The extraction (None when there is no page) and a note on how the fetch went.
    Interrupted when `stop` is set before or during the extraction."""
    if isinstance(fetched, FetchFailure):
        return None, f"fetch failed ({fetched.kind}): {fetched.reason}"
    if fetched.status != 200:
        return None, f"fetch answered HTTP {fetched.status}"
    try:
        with time_budget(budget_s, stop):
            text = page_text(fetched.body, fetched.headers.get("content-type"))
            page = extract_page(text, fetched.url)
    except OverBudget as exc:
        return None, f"extraction stopped: {exc}"
    if stop is not None and stop.is_set():
        # trafilatura catches exceptions around whole steps, Interrupted too, and may finish
        # on a fallback: an article of that would differ from the one an unstopped run makes.
        raise Interrupted("stopped during the extraction")
    return page, "fetched"


def build_article(
    entry: dict[str, Any],
    page: Extraction | None,
    fetched_url: str | None,
    fetch_note: str,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> ArticleMessage:
    """The article of an entry: the page's body (else the feed's text, else the page's
    description; extract.choose_body) within max_body_bytes; the page's paragraphs within
    the same cap."""
    chosen = choose_body(page, entry.get("content"), entry.get("summary"))
    if chosen is None:
        raise PoisonMessage(
            f"no article text for {entry['url']}: {fetch_note}, and the feed has no text",
            error_type="extraction_empty",
        )
    body = cap_paragraphs(chosen.paragraphs, max_body_bytes)
    on_page = cap_paragraphs(page.page_paragraphs, max_body_bytes) if page else None
    title = (page.title if page and page.title else None) or entry["title"]
    article: ArticleMessage = {
        "schema_version": 1,
        "article_id": entry["article_id"],
        "url": entry["url"],
        "fetched_url": fetched_url,
        "feed_url": entry["feed_url"],
        "outlet": entry["outlet"],
        "title": cut_text(title, MAX_TITLE_BYTES),
        "body": "\n\n".join(body.paragraphs),
        "paragraphs": list(body.paragraphs),
        "body_source": chosen.source,
        "author": page.author if page else None,
        "site_name": page.site_name if page else None,
        "published": entry.get("published"),
        "language_hint": entry.get("language_hint"),
        "feed_tags": entry.get("feed_tags", []),
        "page_language": page.page_language if page else None,
        "page_paragraphs": list(on_page.paragraphs) if on_page else [],
        "page_canonical_url": page.canonical_url if page else None,
        "image": page.image if page else None,
        "page_categories": list(page.categories) if page else [],
        "page_tags": list(page.tags) if page else [],
        "paywalled": page.paywalled if page else False,
        "seen_at": entry["seen_at"],
        "extracted_at": utc_now_iso(),
    }
    if body.truncated:
        article["truncated"] = True
        article["original_body_bytes"] = body.original_bytes
    elif chosen.source in ("feed_content", "feed_summary") and entry.get("truncated"):
        article["truncated"] = True  # the poller cut the feed's text
    return article


@dataclass
class ExtractStage:
    pages: PageFetches[Any]
    topics: Topics
    budget_s: float = 10.0
    robots: RobotsPolicy | None = None  # None: robots.txt is not read (tests, replays)
    # Pages started and not yet extracted, at most: so at most that many bodies held. How
    # many of them go to one host at once is the fetcher's politeness rule.
    fetches_at_once: int = 1
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Set when the stage stops: an aborted fetch or an extraction in progress raises
    # Interrupted, and the runner hands the batch back. None: never stops (tests, replays).
    stop: threading.Event | None = None
    # A page over LARGE_PAGE_BYTES was extracted in this batch: its heap is given back after.
    _large_page_seen: bool = field(default=False, init=False, repr=False)

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
        if self._large_page_seen:
            # Once the batch's pages, their text and trees are gone, their memory goes too.
            self._large_page_seen = False
            give_back_freed_memory()
        return outcomes

    def close(self) -> None:
        self.pages.close()

    def _page_url(self, entry: dict[str, Any]) -> str | None:
        """The page to fetch, or None when there is none: the entry has no link to fetch
        (entry.v1 `fetch` false), or robots.txt disallows it (read here, in turn: a site's
        rules are fetched once, then kept)."""
        if entry.get("fetch", True) is False:
            return None
        robots = self.robots if entry.get("obey_robots_txt", True) else None
        if robots is not None and not robots.allows(entry["url"]):
            return None
        url: str = entry["url"]
        return url

    def _disallowed(self, entry: dict[str, Any]) -> list[OutRecord]:
        linkless = entry.get("fetch", True) is False  # the feed's text is the article
        note = "the entry has no link to fetch" if linkless else "robots.txt disallows the page"
        article = build_article(entry, None, None, note, self.max_body_bytes)
        if not linkless:
            article["robots_disallowed"] = True
        return [encode(self.topics.articles, article["article_id"], article, "article.v1")]

    def _fetched_article(self, entry: dict[str, Any], started: Any) -> list[OutRecord]:
        # Aborted by a stop: handed back whole, not made into an article of the feed's text.
        fetched = raise_if_aborted(self.pages.result(started))
        page, note = _page_of(fetched, self.budget_s, self.stop)
        fetched_url = fetched.url if isinstance(fetched, FetchResponse) else None
        article = build_article(entry, page, fetched_url, note, self.max_body_bytes)
        if isinstance(fetched, FetchResponse) and len(fetched.body) > LARGE_PAGE_BYTES:
            self._large_page_seen = True
        return [encode(self.topics.articles, article["article_id"], article, "article.v1")]
