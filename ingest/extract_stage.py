"""The extract stage: an entry from the poller -> fetch its page -> extract -> an article."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

Fetch = Callable[[str], FetchResponse | FetchFailure]


def _page_of(
    fetched: FetchResponse | FetchFailure, budget_s: float
) -> tuple[Extraction | None, str]:
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
        robots = self.robots if entry.get("obey_robots_txt", True) else None
        if robots is not None and not robots.allows(entry["url"]):
            article = build_article(entry, None, None, "robots.txt disallows the page")
            article["robots_disallowed"] = True
        else:
            fetched = self.fetch(entry["url"])
            page, note = _page_of(fetched, self.budget_s)
            fetched_url = fetched.url if isinstance(fetched, FetchResponse) else None
            article = build_article(entry, page, fetched_url, note)
        return [encode(self.topics.articles, article["article_id"], article, "article.v1")]
