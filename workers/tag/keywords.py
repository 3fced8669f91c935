"""A handful of statistical keywords per article: TF-IDF against a rolling window.

Document frequencies come from the last WINDOW_ARTICLES articles this process tagged, so a
word that every story of the day carries ("said", "اليوم") sinks, and a word this story
repeats rises. Stopwords per language come from stopwords-iso (the stopwordsiso package).
The window is per process and not persisted: keywords are a hint for readers, not a
verdict, and a replay may give slightly different ones.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, deque
from dataclasses import dataclass, field

import stopwordsiso

from workers.dedupe.normalize import normalize_text

WINDOW_ARTICLES = 2_000
KEYWORDS_PER_ARTICLE = 5
MIN_KEYWORD_CHARS = 3

# Arabic writes the article and the one-letter prepositions onto the word: الحكومة,
# والحكومة, بالحكومة, للحكومة are one keyword. One regex pass over the whole text, whose
# words are split by single spaces; anchored on the space (half the time of a lookbehind).
_ARABIC_ARTICLE = re.compile(rf" (?:وال|بال|فال|كال|لل|ال)(?=\S{{{MIN_KEYWORD_CHARS}}})")


@functools.cache
def stopwords(language: str | None) -> frozenset[str]:
    if not language or not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(normalize_text(word) for word in stopwordsiso.stopwords(language))


def candidate_terms(text: str, language: str | None) -> Counter[str]:
    """Term counts of a casefolded, normalized text (normalize_text: words split by single
    spaces), without stopwords, numbers or short words.
    The article comes off only when 3 letters remain, so الذي and التي stay stopwords."""
    stop = stopwords(language)
    counts = Counter(_ARABIC_ARTICLE.sub(" ", f" {text}").split())  # C-level passes first
    return Counter({
        term: count for term, count in counts.items()
        if len(term) >= MIN_KEYWORD_CHARS and term not in stop and not term.isdigit()
    })  # fmt: skip


@dataclass
class KeywordWindow:
    size: int = WINDOW_ARTICLES
    _documents: deque[frozenset[str]] = field(default_factory=deque)
    _document_frequency: Counter[str] = field(default_factory=Counter)

    def keywords(self, terms: Counter[str], k: int = KEYWORDS_PER_ARTICLE) -> list[str]:
        """The k terms of highest tf-idf, then this article joins the window."""
        n = len(self._documents)
        df = self._document_frequency

        def score(term: str) -> tuple[float, str]:
            return (-terms[term] * (math.log((n + 1) / (df[term] + 1)) + 1.0), term)

        # A keyword is said at least twice, when the article has enough such words: this
        # also keeps the scoring to a few dozen terms.
        repeated = [term for term, count in terms.items() if count > 1]
        best = heapq.nsmallest(k, repeated if len(repeated) >= k else terms, key=score)
        self._remember(frozenset(terms))
        return best

    def _remember(self, document: frozenset[str]) -> None:
        self._documents.append(document)
        self._document_frequency.update(document)
        if len(self._documents) > self.size:
            df = self._document_frequency
            for term in self._documents.popleft():  # one loop: Counter.subtract is Python too
                if df[term] > 1:
                    df[term] -= 1
                else:
                    del df[term]
