"""The words a story is compared on (pure): folded as the dedupe stage folds text, reduced to
a light stem, and the numbers apart.

Rewrites of one dispatch inflect the same words differently: in Arabic a clitic article or
conjunction is written onto the word (والوزير, الوزير, وزير) and suffixes mark number and
gender (المفاوضات, مفاوضة). Light stemming (strip the definite article with the prepositions
written onto it, a conjunction, one common suffix) makes those one word without the errors of
root extraction (Larkey, Ballesteros and Connell, "Light Stemming for Arabic Information
Retrieval", 2007, showed light stems beat roots for retrieval). Other alphabets are cut to
their first six letters: a crude stem that joins most inflections of European languages.
"""

from __future__ import annotations

import re

from workers.dedupe.normalize import normalize_text

# The definite article with the prepositions and conjunctions written onto it, longest first.
ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
CONJUNCTION = "و"
# Suffixes of number, gender and attached pronouns, longest first; ة is folded to ه before.
SUFFIXES = ("هما", "كما", "ها", "ان", "ات", "ون", "ين", "يه", "هم", "ه", "ي")
MIN_STEM = 3  # an Arabic stem keeps at least three letters (most roots have three)
# A conjunction is only taken off a word long enough that it cannot be part of its stem
# (وزير "minister" keeps its و; واعلنت "and announced" loses it; وقال "and said" is as long
# as وزير and keeps it too: no length rule tells those two apart).
MIN_AFTER_CONJUNCTION = 4
OTHER_STEM = 6
MIN_WORD = 2
ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
NUMBER = re.compile(r"^[0-9]+$")
# Years are in every article of a year: they tell no story from another.
YEARS = range(1900, 2100)


def stem(word: str) -> str:
    """The light stem of one folded word."""
    if not ARABIC_LETTER.match(word):
        return word[:OTHER_STEM]
    word = word.replace("ة", "ه")
    for prefix in ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= MIN_STEM:
            word = word[len(prefix) :]
            break
    else:
        if word.startswith(CONJUNCTION) and len(word) - 1 >= MIN_AFTER_CONJUNCTION:
            word = word[1:]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


class Stemmer:
    """stem() with a memory of the words it met: a stream repeats most of its words, and a
    dictionary lookup costs a tenth of the stemming. The memory is emptied when full."""

    def __init__(self, capacity: int = 500_000) -> None:
        self._known: dict[str, str] = {}
        self._capacity = capacity

    def __call__(self, word: str) -> str:
        known = self._known.get(word)
        if known is None:
            if len(self._known) >= self._capacity:
                self._known.clear()
            known = self._known[word] = stem(word)
        return known


def split_words(text: str) -> list[str]:
    """The folded words of a text (case, Arabic letter variants and marks, digit shapes)."""
    return [w for w in normalize_text(text).split() if len(w) >= MIN_WORD]


def is_number(word: str) -> bool:
    return NUMBER.match(word) is not None


def telling_numbers(words: list[str]) -> frozenset[str]:
    """Numbers that can tell one news item from another: tolls, scores, amounts; not years."""
    return frozenset(w for w in words if is_number(w) and not (len(w) == 4 and int(w) in YEARS))
