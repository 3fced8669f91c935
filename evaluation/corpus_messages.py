"""Article messages built from the ANT corpus as the extract stage sends them, for the
benchmarks that feed a stage or a producer (bench-dedupe, bench-tag, bench-compression)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from evaluation.ant_corpus import CorpusArticle

SEEN_AT = "2018-03-01T12:00:00.000Z"


def long_articles(corpus: Iterable[CorpusArticle], count: int, words: int) -> list[dict[str, Any]]:
    """Articles of about `words` words: consecutive corpus paragraphs, whole, until enough."""
    out: list[dict[str, Any]] = []
    paragraphs: list[str] = []
    for article in corpus:
        for paragraph in article.paragraphs:
            paragraphs.append(paragraph)
            if sum(len(p.split()) for p in paragraphs) >= words:
                out.append(article_message(len(out), paragraphs))
                paragraphs = []
                if len(out) == count:
                    return out
    return out


def article_message(n: int, paragraphs: Sequence[str]) -> dict[str, Any]:
    """As the extract stage sends it: the page's own <p> sequence (byline, body, footer, as
    the replay server renders a page) beside the extracted body."""
    page = (f"outlet-{n % 5} desk", *paragraphs, f"© outlet-{n % 5}. All rights reserved.")
    return {
        "schema_version": 1,
        "article_id": f"{n:032x}",
        "url": f"https://bench.invalid/{n}",
        "feed_url": "https://bench.invalid/feed",
        "outlet": f"outlet-{n % 5}",
        "title": f"t{n}",
        "body": "\n\n".join(paragraphs),
        "paragraphs": list(paragraphs),
        "body_source": "page",
        "page_paragraphs": list(page),
        "seen_at": SEEN_AT,
        "extracted_at": SEEN_AT,
    }


def as_decoded(message: dict[str, Any]) -> dict[str, Any]:
    """The message as a stage gets it, decoded from the topic's JSON: strs of its own. Shared
    by the contenders (or by a page and its body), the first to encode a str as UTF-8 (the
    compiled pass and orjson do, and CPython keeps the bytes) would do it for the others."""
    decoded: dict[str, Any] = orjson.loads(orjson.dumps(message))
    return decoded
