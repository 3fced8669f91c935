"""Reading the ANT Corpus v2.1 (Arabic news, five outlets' feeds, 2018) from the data folder.

Research and evaluation data under its citation license: material reporting results from it
cites the authors or links to https://antcorpus.github.io (see the data folder's README).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

CORPUS = Path("arabic-news") / "ant-v2.1.jsonl.gz"
LEAD_WORDS = 160  # what a person labelling a pair or a day reads of each article
CITATION = "ANT Corpus v2.1, Chouigui, Ben Khiroun and Elayeb (https://antcorpus.github.io)"


@dataclass(frozen=True)
class CorpusArticle:
    docno: str
    url: str
    source: str
    category: str
    title: str
    published: str
    paragraphs: tuple[str, ...]

    @property
    def article_id(self) -> str:
        return hashlib.blake2b(self.docno.encode(), digest_size=16).hexdigest()

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


def read_corpus(data_dir: Path) -> Iterator[CorpusArticle]:
    path = data_dir / CORPUS
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass the shared data folder (DATA=...)")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            yield CorpusArticle(
                docno=raw["docno"],
                url=raw["url"],
                source=raw["source"],
                category=raw["category"],
                title=raw["title"],
                published=raw["published"],
                paragraphs=tuple(raw["paragraphs"]),
            )


def published(article: CorpusArticle) -> datetime | None:
    """When the article was published (RFC 822 in the corpus); None when unreadable."""
    try:
        when = parsedate_to_datetime(article.published)
    except (TypeError, ValueError):
        return None
    # RFC 2822's "-0000" (no zone known) parses without one: read as UTC, not local time.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def lead(article: CorpusArticle, words: int = LEAD_WORDS) -> str:
    text = " ".join(article.paragraphs).split()
    return " ".join(text[:words]) + (" …" if len(text) > words else "")
