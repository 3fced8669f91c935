"""How much a shared word says (pure): the rarer the word in the language, the more.

Weights come from the word frequencies of the `wordfreq` package (many sources, ~40
languages, data inside the package): fixed, so that a replayed article gets the score it got
the first time, which weights learnt from the stream itself would not give. A word is worth
-log10 of its frequency, capped, less a floor that makes the commonest words (articles,
prepositions, "said") worth nothing; a word the lists do not hold (a name, a place, a
misspelling) gets the cap.
"""

from __future__ import annotations

import math
import threading

import wordfreq
from newsflow_native import StoryWords

from workers.story.words import LIST_WORDS, Stemmer, split_words

RARE = 6.0  # -log10 frequency from which a word counts as rare: once in a million words
COMMON = 3.0  # ... and up to which it counts for nothing: once in a thousand
TOP_WORDS = LIST_WORDS
UNKNOWN_LANGUAGE = ""  # every word weighs the same: what plain term frequency does


class WordWeights:
    """Stem -> weight for each language, each table built the first time it is asked for (a
    language's table: about half a second and 10-20 MB)."""

    unknown = RARE - COMMON  # a stem the lists lack

    def __init__(self, stemmer: Stemmer | None = None, top_words: int = TOP_WORDS) -> None:
        self._stemmer = stemmer or Stemmer()
        self._top = top_words
        self._tables: dict[str, dict[str, float]] = {}
        self._compiled: dict[int, StoryWords] = {}
        self._lock = threading.Lock()
        # wordfreq looks its data folder up on every call: once is enough.
        self._languages = frozenset(wordfreq.available_languages())

    def table(self, language: str | None) -> dict[str, float]:
        key = language if language in self._languages else UNKNOWN_LANGUAGE
        table = self._tables.get(key)
        if table is None:
            with self._lock:
                table = self._tables.get(key)
                if table is None:
                    table = self._tables[key] = self._build(key)
        return table

    def weight(self, table: dict[str, float], stem: str) -> float:
        return table.get(stem, self.unknown) if table else 1.0

    def compiled(self, language: str | None) -> StoryWords:
        """The language's table in the compiled reader (features.py), which weighs as
        weight() does."""
        table = self.table(language)
        found = self._compiled.get(id(table))  # tables live as long as this object
        if found is None:
            with self._lock:
                found = self._compiled.setdefault(id(table), StoryWords(table, self.unknown))
        return found

    def _build(self, language: str) -> dict[str, float]:
        if not language:
            return {}
        frequencies: dict[str, float] = {}
        for n, (word, frequency) in enumerate(wordfreq.get_frequency_dict(language).items()):
            if n >= self._top:
                break
            # The list's words are folded and stemmed as the articles' are; the forms that
            # meet in one stem add up.
            for listed in split_words(word, language):
                stem = self._stemmer(listed)
                frequencies[stem] = frequencies.get(stem, 0.0) + frequency
        return {
            stem: max(0.0, min(RARE, -math.log10(f)) - COMMON) for stem, f in frequencies.items()
        }
