"""Page HTML -> article text and metadata (pure), with trafilatura doing the extraction.

When the page yields nothing usable, the feed's own content, then its summary, stand in,
and the article says which source its body came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml.etree import ParserError

from schemas.messages import BodySource

# Shorter than this, an extracted body is a teaser or a cookie banner, not the article.
MIN_BODY_CHARS = 200
BLOCK_TAGS = ("p", "li", "blockquote", "h2", "h3", "h4", "pre")


@dataclass(frozen=True)
class Extraction:
    title: str | None
    paragraphs: tuple[str, ...]
    author: str | None
    site_name: str | None
    date: str | None  # YYYY-MM-DD as trafilatura finds it
    page_language: str | None
    # The page's own <p> sequence before extraction. trafilatura (>= 2.2) drops a paragraph
    # that repeats the one before it, which would hide internal duplication from dedupe.
    page_paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChosenBody:
    paragraphs: tuple[str, ...]
    source: BodySource


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _page_language(html: bytes) -> str | None:
    match = re.search(rb"<html[^>]*\blang=[\"']?([A-Za-z]{2,3})", html[:5000], re.IGNORECASE)
    return match.group(1).decode("ascii").lower() if match else None


def extract_page(html: bytes, url: str) -> Extraction:
    """The page is parsed once, by trafilatura's loader (which finds the charset from the
    page's meta or by detection); its <p> sequence is read before extraction prunes it."""
    tree = trafilatura.load_html(html)
    if tree is None:
        return Extraction(None, (), None, None, None, _page_language(html))
    on_page = page_paragraphs(tree)
    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if document is None or isinstance(document, dict):
        return Extraction(None, (), None, None, None, _page_language(html), on_page)
    paragraphs = _paragraphs(document.text or "")
    title = document.title
    if paragraphs and title and paragraphs[0] == title.strip():
        paragraphs = paragraphs[1:]  # trafilatura keeps the page's <h1> as the first line
    return Extraction(
        title=title,
        paragraphs=paragraphs,
        author=document.author,
        site_name=document.sitename,
        date=document.date,
        page_language=document.language or _page_language(html),
        page_paragraphs=on_page,
    )


def page_paragraphs(tree: lxml.html.HtmlElement) -> tuple[str, ...]:
    """Text of every <p> of the page, in document order, whitespace folded."""
    texts = (" ".join(p.text_content().split()) for p in tree.iter("p"))
    return tuple(t for t in texts if t)


def html_fragment_paragraphs(fragment: str | None) -> tuple[str, ...]:
    """Text paragraphs of a feed's HTML summary or content."""
    if not fragment or not fragment.strip():
        return ()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return _paragraphs(fragment)
    blocks = [" ".join(el.text_content().split()) for el in root.iter(*BLOCK_TAGS)]
    blocks = [b for b in blocks if b]
    return tuple(blocks) if blocks else _paragraphs(root.text_content())


def choose_body(
    page: Extraction | None, feed_content: str | None, feed_summary: str | None
) -> ChosenBody | None:
    """The page's text when it is long enough, else the longest feed text, else None."""
    if page is not None and sum(map(len, page.paragraphs)) >= MIN_BODY_CHARS:
        return ChosenBody(page.paragraphs, "page")
    candidates: list[ChosenBody] = [
        ChosenBody(html_fragment_paragraphs(feed_content), "feed_content"),
        ChosenBody(html_fragment_paragraphs(feed_summary), "feed_summary"),
    ]
    if page is not None:
        candidates.insert(0, ChosenBody(page.paragraphs, "page"))
    best = max(candidates, key=lambda c: sum(map(len, c.paragraphs)))
    return best if best.paragraphs else None
