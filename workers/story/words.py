"""The words a story is compared on (pure): folded as the dedupe stage folds text, reduced to
a light stem, and the numbers apart.

Rewrites of one dispatch inflect the same words differently: in Arabic a clitic article or
conjunction is written onto the word (والوزير, الوزير, وزير) and suffixes mark number and
gender (المفاوضات, مفاوضة). Light stemming (strip the definite article with the prepositions
written onto it, a conjunction, one common suffix) makes those one word without the errors of
root extraction (Larkey, Ballesteros and Connell, "Light Stemming for Arabic Information
Retrieval", 2007, showed light stems beat roots for retrieval). Other alphabets are cut to
their first six letters: a crude stem that joins most inflections of European languages.

Chinese and Japanese are written without spaces: a run of their letters is cut into words
by forward maximum matching (at each letter the longest word of the language's word list
that starts there, up to five letters, else the letter alone) against `wordfreq`'s list,
the one the weights come from. Read as one word, a sentence matched no other text's, and a
whole article counted as too short to compare (`make eval-stories`: Chinese pairs'
correlation with the human rating 0.450 before, 0.770 with). Traditional characters are
read as Simplified ones, the forms the list holds. A word of one letter (美, 俄: the US,
Russia, in headlines) is too short to count, as in every script.
"""

from __future__ import annotations

import functools
import gzip
import re

import msgpack
import wordfreq
from newsflow_native import CharClasses
from wordfreq.util import data_path

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


# Letters of scripts written without spaces between words (Hangul is written with them):
# the iteration and zero marks (々, 〇: 人々, 佐々木), kana, CJK ideographs (extension A and
# the unified block).
UNSPACED_RANGES = [(0x3005, 0x3007), (0x3040, 0x30FF), (0x3400, 0x9FFF)]
UNSPACED = CharClasses([UNSPACED_RANGES])
UNSPACED_RUN = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in UNSPACED_RANGES) + "]+")
LONGEST_UNSPACED_WORD = 5
LIST_WORDS = 150_000  # of each language's word list: the rest are rare anyway


@functools.cache
def _lexicon(name: str) -> frozenset[str]:
    words = wordfreq.get_frequency_dict(name)
    return frozenset(
        word
        for _, word in zip(range(LIST_WORDS), words, strict=False)
        if 2 <= len(word) <= LONGEST_UNSPACED_WORD and UNSPACED_RUN.fullmatch(word)
    )


def lexicon(language: str | None) -> frozenset[str]:
    """The words of several letters of the language's list that are all letters of those
    scripts: Japanese's for Japanese, Chinese's (Simplified) for any other text."""
    return _lexicon("ja" if language == "ja" else "zh")


@functools.cache
def _simplified() -> dict[int, str]:
    """Traditional Chinese characters to Simplified ones, one by one: the map wordfreq
    looks its Chinese words up with (its list holds Simplified forms only)."""
    with gzip.open(data_path("_chinese_mapping.msgpack.gz")) as packed:
        return dict(msgpack.load(packed, raw=False, strict_map_key=False))


def cut_run(run: str, words: frozenset[str]) -> str:
    """A run of unspaced letters as words split by spaces (forward maximum matching)."""
    out, at = [], 0
    while at < len(run):
        for length in range(min(LONGEST_UNSPACED_WORD, len(run) - at), 0, -1):
            if length == 1 or run[at : at + length] in words:
                out.append(run[at : at + length])
                at += length
                break
    return " ".join(out)


def folded(text: str, language: str | None = None) -> str:
    """The text folded as the dedupe stage folds it (case, Arabic letter variants and
    marks, digit shapes, punctuation), its Chinese and Japanese runs cut into words."""
    text = normalize_text(text)
    if not UNSPACED.any([text]):
        return text
    if language != "ja":  # Japanese keeps its own forms of the characters
        text = text.translate(_simplified())
    words = lexicon(language)
    return " ".join(UNSPACED_RUN.sub(lambda run: f" {cut_run(run[0], words)} ", text).split())


def split_words(text: str, language: str | None = None) -> list[str]:
    """The folded words of a text."""
    return [w for w in folded(text, language).split() if len(w) >= MIN_WORD]


def is_number(word: str) -> bool:
    return NUMBER.match(word) is not None


def telling_numbers(words: list[str]) -> frozenset[str]:
    """Numbers that can tell one news item from another: tolls, scores, amounts; not years."""
    return frozenset(w for w in words if is_number(w) and not (len(w) == 4 and int(w) in YEARS))
