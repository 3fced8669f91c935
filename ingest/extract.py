"""Page HTML -> article text and metadata (pure), with trafilatura doing the extraction.

When the page yields too little text, the feed's own content or summary stands in, else
the page's description metadata, and the article says which source its body came from.
"""

from __future__ import annotations

import codecs
import copy
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml.etree import ParserError
from trafilatura.settings import Document, Extractor, set_date_params

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
    # that repeats the one before it, which would hide internal duplication from dedupe:
    # restore_adjacent_repeats puts back what the body holds, dedupe reads the rest here.
    page_paragraphs: tuple[str, ...] = ()
    canonical_url: str | None = None  # <link rel=canonical> / og:url, when on the same site
    image: str | None = None
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    paywalled: bool = False
    description: str | None = None  # the page's description metadata (og:description, ...)


@dataclass(frozen=True)
class ChosenBody:
    paragraphs: tuple[str, ...]
    source: BodySource


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _page_language(html: bytes) -> str | None:
    match = re.search(rb"<html[^>]*\blang=[\"']?([A-Za-z]{2,3})", html[:5000], re.IGNORECASE)
    return match.group(1).decode("ascii").lower() if match else None


# WHATWG Encoding: labels that mean windows-1252 in a browser, whatever they say.
_AS_WINDOWS_1252 = frozenset({"iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "l1"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def page_text(body: bytes, content_type: str | None) -> bytes | str:
    """The page decoded the way browsers do (WHATWG HTML encoding sniffing): a byte-order
    mark first, then the charset of the HTTP Content-Type; with neither, the bytes go to
    trafilatura, which reads the page's <meta charset> or else detects the encoding."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    if match:
        label = match.group(1).lower()
        codec = "windows-1252" if label in _AS_WINDOWS_1252 else label
        try:
            return body.decode(codec, errors="replace")
        except LookupError:
            pass  # an unknown label: as if none were given
    return body


@cache
def _base_options(fast: bool = True, metadata: bool = True) -> Extractor:
    # fast=True: no second opinion from trafilatura's fallback extractors (its readability
    # and jusText ports), which cost CPU on every page and rarely win on news pages; a body
    # that comes out short is extracted again with them (_second_opinion).
    return Extractor(
        output_format="python", fast=fast, comments=False, tables=True, with_metadata=metadata
    )


def _options(url: str, fast: bool = True, metadata: bool = True) -> Extractor:
    """The options of one page. Built once and copied: given keyword arguments instead,
    bare_extraction builds them anew from its config file's parser on every call, about
    0.1 ms of a 1.8 ms page here. trafilatura's own command line reuses one Extractor the same
    way, setting the URL per file."""
    base = _base_options(fast, metadata)
    options = copy.copy(base)
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8")  # as Extractor does
    # htmldate ignores dates after max_date, which is today's date: set per page, not once
    # per process, so that a stage running for days keeps accepting today's pages.
    options.date_params = set_date_params(base.date_params["extensive_search"])
    return options


# A fast extraction shorter than this may be a fragment of the article (its first block, a
# caption, the navigation around it): the page is extracted again with the fallbacks.
SHORT_BODY_CHARS = 500
# ... and their body replaces it only when this many times longer: a body that is about as
# long is as likely to hold more boilerplate as more article.
LONGER_BY = 1.5


def _text_chars(document: Document | None) -> int:
    return len((document.text or "").strip()) if document is not None else 0


def second_opinion_due(fast_chars: int) -> bool:
    return fast_chars < SHORT_BODY_CHARS


def takes_second_opinion(fast_chars: int, full_chars: int) -> bool:
    return full_chars > LONGER_BY * fast_chars


def _second_opinion(page: bytes | str, url: str, fast: Document | None) -> Document | None:
    """The fast extraction, or the one with trafilatura's fallbacks when the fast one came
    out short and theirs is much longer. Its thresholds were chosen on dragnet-2012; `make
    eval-extraction` measures it on every page set, with and without it (docs/evaluation.md)."""
    chars = _text_chars(fast)
    if not second_opinion_due(chars):
        return fast
    tree = trafilatura.load_html(page)  # the fast extraction pruned the first tree
    if tree is None:
        return fast
    # The metadata (a third of an extraction's CPU, the author's search the most) is the
    # page's whatever the body: read again only when the fast pass gave none.
    options = _options(url, fast=False, metadata=fast is None)
    full = trafilatura.bare_extraction(tree, options=options)
    if not isinstance(full, Document) or not takes_second_opinion(chars, _text_chars(full)):
        return fast
    if fast is None:
        return full
    chosen = copy.copy(fast)
    chosen.text, chosen.raw_text, chosen.body = full.text, full.raw_text, full.body
    return chosen


def extract_page(html: bytes | str, url: str, *, second_opinion: bool = True) -> Extraction:
    """The page is parsed once, by trafilatura's loader (which, given bytes, finds the
    charset from the page's meta or by detection; see page_text for the header and BOM);
    its <p> sequence is read before extraction prunes it. (A short body has the page
    parsed a second time, from the same input: _second_opinion.)"""
    page = html
    tree = trafilatura.load_html(page)
    html = page.encode("utf-8") if isinstance(page, str) else page
    if tree is None:
        return Extraction(None, (), None, None, None, _page_language(html))
    on_page = page_paragraphs(tree)
    # Before extraction prunes the tree; most pages repeat nothing, which the texts tell.
    repeated = repeated_on_page(tree) if has_repeat(on_page) else {}
    paywalled = is_paywalled(html, tree)  # before extraction prunes the tree
    # Read here too: trafilatura gives no metadata at all for a page with no body text.
    description = page_description(tree)
    first = trafilatura.bare_extraction(tree, options=_options(url))
    document = first if isinstance(first, Document) else None
    if second_opinion:  # False: the fast extraction alone (make eval-extraction compares)
        document = _second_opinion(page, url, document)
    if document is None:
        return Extraction(
            None, (), None, None, None, _page_language(html), on_page, description=description
        )
    paragraphs = _paragraphs(document.text or "")
    title = document.title
    if paragraphs and title and paragraphs[0] == title.strip():
        paragraphs = paragraphs[1:]  # trafilatura keeps the page's <h1> as the first line
    paragraphs = restore_adjacent_repeats(paragraphs, repeated)
    return Extraction(
        title=title,
        paragraphs=paragraphs,
        author=document.author,
        site_name=document.sitename,
        date=document.date,
        page_language=document.language or _page_language(html),
        page_paragraphs=on_page,
        canonical_url=same_site_url(document.url, url),
        image=document.image,
        categories=tuple(document.categories or ()),
        tags=tuple(document.tags or ()),
        paywalled=paywalled,
        description=document.description or description,
    )


# trafilatura (2.3) deletes an element of the extracted body whose text, longer than this,
# repeats the element before it: a guard against one element extracted twice
# (trafilatura.main_extractor, "drop substantial elements repeating the previous one").
REPEAT_GUARD_CHARS = 50
# Hidden elements are not what a reader of the page sees: their copies do not count.
_HIDDEN = (
    "ancestor-or-self::*[@hidden or @aria-hidden='true' or contains(translate(@style, ' ', ''),"
    " 'display:none') or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)


def has_repeat(page: tuple[str, ...]) -> bool:
    """The page prints a paragraph the guard above could delete more than once, anywhere:
    copies apart here may be adjacent once hidden paragraphs are left out (repeated_on_page
    tells)."""
    long = [text for text in page if len(text) > REPEAT_GUARD_CHARS]
    return len(set(long)) < len(long)


def paragraph_key(text: str) -> str:
    # Without any whitespace: text_content() joins "<p>a<br>b</p>" as "ab", and the body
    # has the two lines "a" and "b".
    return "".join(text.split())


def repeated_on_page(tree: lxml.html.HtmlElement) -> dict[str, int]:
    """Paragraph (as paragraph_key) -> the most times the page's visible paragraphs print
    it in a row, for the paragraphs printed at least twice in a row. Read before extraction
    prunes the tree. A run, not every copy: a teaser of the article elsewhere on the page is
    no copy the article prints."""
    visible: list[tuple[str, int]] = []  # key, length as the guard measures it
    for p in tree.iter("p"):
        text = " ".join(p.text_content().split())
        if text and not p.xpath(_HIDDEN):
            visible.append((paragraph_key(text), len(text)))
    runs: dict[str, int] = {}
    run = 1
    for n, (key, length) in enumerate(visible):
        run = run + 1 if n and key == visible[n - 1][0] else 1
        if run > 1 and length > REPEAT_GUARD_CHARS:
            runs[key] = max(runs.get(key, 0), run)
    return runs


def restore_adjacent_repeats(
    paragraphs: tuple[str, ...], repeated: dict[str, int]
) -> tuple[str, ...]:
    """The body with each paragraph the page prints twice or more in a row as many times as
    that run. trafilatura's guard above also deletes a paragraph the page really repeats;
    the body then hides what the dedupe stage is there to find and repair (docs/dedupe.md,
    internal duplication). The missing copies go right after the body's last copy, and only
    where the body holds the paragraph (as one line, or as consecutive lines of it)."""
    if not repeated:
        return paragraphs
    keys = [paragraph_key(p) for p in paragraphs]
    blocks: list[tuple[int, int, str]] = []  # start, end, the paragraph's key
    i = 0
    while i < len(keys):
        found = _paragraph_from(keys, i, repeated)
        if found is None:
            i += 1
            continue
        end, key = found
        blocks.append((i, end, key))
        i = end
    held = Counter(key for *_, key in blocks)
    last = {key: (start, end) for start, end, key in blocks}
    after = {end: (start, key) for key, (start, end) in last.items()}
    out: list[str] = []
    for n, paragraph in enumerate(paragraphs):
        out.append(paragraph)
        if n + 1 in after:
            start, key = after[n + 1]
            out.extend(paragraphs[start : n + 1] * max(0, repeated[key] - held[key]))
    return tuple(out)


def _paragraph_from(
    keys: list[str], start: int, repeated: dict[str, int]
) -> tuple[int, str] | None:
    """The end of the body lines from `start` that together are a repeated page paragraph.
    Stops at the first line that leaves every such paragraph's start: a page repeats few
    paragraphs, and most lines start none of them."""
    joined = ""
    for end in range(start, len(keys)):
        joined += keys[end]
        if joined in repeated:
            return end + 1, joined
        if not any(key.startswith(joined) for key in repeated):
            return None
    return None


# schema.org's flag for paywalled news (Google's structured data for subscription content);
# in JSON-LD as a boolean or as the string "False".
_NOT_FREE = re.compile(rb'"isAccessibleForFree"\s*:\s*"?(?:false|False|FALSE)"?')
_PAYWALL_MARKER = "contains(translate(@class,'PAYWL','paywl'),'paywall') or contains(@id,'paywall')"


def is_paywalled(html: bytes, tree: lxml.html.HtmlElement) -> bool:
    """The page says it is not free (isAccessibleForFree false), or it carries an element
    named for a paywall: the body may then be a teaser."""
    if _NOT_FREE.search(html):
        return True
    # The XPath visits every element; most pages never mention the word, which one scan of
    # the bytes tells. bytes.lower() folds ASCII only, all the word needs, and scans several
    # times faster than a case-blind regex search.
    mentions = b"paywall" in html.lower()
    return mentions and bool(tree.xpath(f"//*[{_PAYWALL_MARKER}]"))


_DESCRIPTION_KEYS = ("og:description", "description", "twitter:description")


def page_description(tree: lxml.html.HtmlElement) -> str | None:
    """The page's description metadata (Open Graph's first, then HTML's, then Twitter's)."""
    found: dict[str, str] = {}
    for meta in tree.xpath("//head/meta[@content]"):
        key = meta.get("property") or meta.get("name") or ""
        text = " ".join(meta.get("content", "").split())
        if key in _DESCRIPTION_KEYS and text:
            found.setdefault(key, text)
    return next((found[k] for k in _DESCRIPTION_KEYS if k in found), None)


def same_site_url(candidate: str | None, page_url: str) -> str | None:
    """The page's canonical URL when it stays on the page's site (its host, or the host
    without "www."): a canonical pointing elsewhere is a syndication source, not this page."""
    if not candidate or not candidate.startswith(("http://", "https://")):
        return None
    own, other = urlsplit(page_url).hostname or "", urlsplit(candidate).hostname or ""
    return candidate if own.removeprefix("www.") == other.removeprefix("www.") else None


def page_paragraphs(tree: lxml.html.HtmlElement) -> tuple[str, ...]:
    """Text of every <p> of the page, in document order, whitespace folded."""
    texts = (" ".join(p.text_content().split()) for p in tree.iter("p"))
    return tuple(t for t in texts if t)


def _own_text(element: lxml.html.HtmlElement) -> str:
    """An element's text without that of the blocks inside it (a quotation's paragraph, a
    nested list's items), which are paragraphs of their own; comments say nothing."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS:
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def html_fragment_paragraphs(fragment: str | None, nested_twice: bool = False) -> tuple[str, ...]:
    """Text paragraphs of a feed's HTML summary or content, each block's own text: a
    paragraph inside a quotation is one paragraph, not the quotation's and its own, which
    the dedupe stage would read as a body that repeats itself. `nested_twice`: a block's
    text with the blocks inside it too, as the feeds' place mentions were drawn and
    labelled (evaluation/place_mention_set.py)."""
    if not fragment or not fragment.strip():
        return ()
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ParserError, ValueError):
        return _paragraphs(fragment)
    text_of = lxml.html.HtmlElement.text_content if nested_twice else _own_text
    blocks = [" ".join(text_of(el).split()) for el in root.iter(*BLOCK_TAGS)]
    blocks = [b for b in blocks if b]
    return tuple(blocks) if blocks else _paragraphs(root.text_content())


def choose_body(
    page: Extraction | None, feed_content: str | None, feed_summary: str | None
) -> ChosenBody | None:
    """The page's text when it is long enough, else the longest of the page's text and the
    feed's content and summary (in that order on a tie); the page's description metadata
    only when the feed has no text: many sites give every page the same description, which
    would make distinct articles exact duplicates. None: no text anywhere."""
    if page is not None and sum(map(len, page.paragraphs)) >= MIN_BODY_CHARS:
        return ChosenBody(page.paragraphs, "page")
    feed = [
        ChosenBody(html_fragment_paragraphs(feed_content), "feed_content"),
        ChosenBody(html_fragment_paragraphs(feed_summary), "feed_summary"),
    ]
    candidates = [ChosenBody(page.paragraphs, "page")] if page is not None else []
    candidates += feed
    if page is not None and not any(c.paragraphs for c in feed):
        candidates.append(ChosenBody(_paragraphs(page.description or ""), "page_description"))
    best = max(candidates, key=lambda c: sum(map(len, c.paragraphs)))
    return best if best.paragraphs else None
