"""A handful of statistical keywords per article: TF-IDF against a rolling window.

Document frequencies come from the last WINDOW_ARTICLES articles this process tagged, so a
word that every story of the day carries ("said", "اليوم") sinks, and a word this story
repeats rises. Stopwords per language come from stopwords-iso (the stopwordsiso package).
The window is per process and not persisted: keywords are a hint for readers, not a
verdict, and a replay may give slightly different ones.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import stopwordsiso
from newsflow_native import TermFilter, TermWindow

from workers.dedupe.normalize import normalize_text

WINDOW_ARTICLES = 2_000
KEYWORDS_PER_ARTICLE = 5
MIN_KEYWORD_CHARS = 3

# Arabic writes the article and the one-letter prepositions onto the word: الحكومة,
# والحكومة, بالحكومة, للحكومة are one keyword. The first of these a word starts with comes
# off when MIN_KEYWORD_CHARS letters remain, so الذي and التي stay stopwords.
ARABIC_ARTICLES = ("وال", "بال", "فال", "كال", "لل", "ال")


@functools.cache
def stopwords(language: str | None) -> frozenset[str]:
    if not language or not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(normalize_text(word) for word in stopwordsiso.stopwords(language))


@functools.cache
def term_filter(language: str | None) -> TermFilter:
    """The terms of a language's texts (counted and windowed in the native module: in
    Python that was the largest part of tagging a long article)."""
    stop = sorted(stopwords(language))
    return TermFilter(stop, _digits(), MIN_KEYWORD_CHARS, list(ARABIC_ARTICLES))


@functools.cache
def _digits() -> str:
    """What str.isdigit accepts: a term made only of these is a number, not a keyword."""
    return "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isdigit())


def candidate_terms(text: str, language: str | None) -> Counter[str]:
    """Term counts of a casefolded, normalized text (normalize_text: words split by single
    spaces), without stopwords, numbers or short words."""
    return Counter(term_filter(language).candidates(text))


@dataclass
class KeywordWindow:
    """The k terms of highest tf-idf of each article, ties broken by the term; an article
    that says k or more terms at least twice gets only such terms. Then the article joins
    the window: document frequencies are those of the last `size` articles."""

    size: int = WINDOW_ARTICLES
    _window: TermWindow = field(init=False)

    def __post_init__(self) -> None:
        self._window = TermWindow(self.size)

    def keywords(self, terms: Counter[str], k: int = KEYWORDS_PER_ARTICLE) -> list[str]:
        return self._window.keywords(dict(terms), k)

    def keywords_in(
        self, texts: Sequence[str], language: str | None, k: int = KEYWORDS_PER_ARTICLE
    ) -> list[str]:
        """keywords(candidate_terms(" ".join(texts), language)), without the terms crossing
        to Python."""
        return self._window.keywords_in(term_filter(language), texts, k)

    def frequency(self, term: str) -> int:
        """In how many of the window's articles `term` is."""
        return self._window.frequency(term)

    def __len__(self) -> int:
        return len(self._window)
