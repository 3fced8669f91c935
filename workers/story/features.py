"""What the story step reads of one article (pure): its words as weighted vectors (the whole
text, the lead, the title), the numbers and places it names, when it was published.

The lead matters apart from the body: a rewrite of a dispatch keeps its first sentence's news
(who did what) while it reorders, cuts and pads the rest.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from newsflow_native import StoryProbe

from schemas.timestamps import parse_iso
from workers.story.dateline import without_dateline
from workers.story.meaning import Meaning
from workers.story.vectors import Vector, normalized, strongest, term
from workers.story.weights import WordWeights
from workers.story.words import Stemmer, folded, is_number, split_words, telling_numbers

MIN_WORDS = 20  # fewer words than this tell no story from another
LEAD_WORDS = 30  # the lead: the title's words are apart, this is the body's first sentence
BODY_TERMS = 40  # words of the whole text a vector keeps
LEAD_TERMS = 16
TITLE_TERMS = 12
KEY_TERMS = 6  # of the lead and of the body each: the words a story is found by
KEY_NUMBERS = 3
HEAD_TITLE_WORDS, HEAD_BODY_WORDS = 8, 4  # where a wire add-on's mark stands
KEY_PLACES = 3  # with a meaning: what two languages' articles of one story share
COPY_RELATIONS = frozenset({"exact_duplicate", "near_duplicate", "partial_reprint"})
# A wire agency's add-on to its own dispatch ("add-on one", "follows"): a part of the story.
# Whole folded words: folding keeps ة (إضافة is اضافة; some outlets write اضافه), and a mark
# inside another word is none (التابعة "affiliated to" holds تابع).
ADD_ON_MARKS = frozenset({"اضافة", "اضافه", "تابع", "يتبع"})


@dataclass(frozen=True)
class StoryText:
    article_id: str
    outlet: str
    title: str
    at: float  # publication time, epoch seconds (seen time when the feed gave none)
    body: Vector
    lead: Vector
    title_terms: Vector
    numbers: frozenset[str]
    places: frozenset[str]
    surface: Mapping[int, str]  # the article's own word for each term of `body` (evidence)
    copy_of: str  # the article the dedupe stage found this one a copy of ("" if none)
    add_on: bool
    language: str = ""  # the tag stage's
    meaning: Meaning = ()  # computed only when stories are matched across languages

    @cached_property
    def probe(self) -> StoryProbe:
        """Its vectors in the compiled comparison with stories' packed centroids."""
        return StoryProbe(self.body, self.lead, self.title_terms)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """What its story is looked up by in the index: its heaviest words of the lead and of
        the whole text, and its numbers (a toll, a score, an amount); with a meaning, its
        places too, the same ids in every language."""
        words = {*strongest(self.lead, KEY_TERMS), *strongest(self.body, KEY_TERMS)}
        numbers = sorted(self.numbers, key=lambda n: (-len(n), n))[:KEY_NUMBERS]
        places = sorted(self.places)[:KEY_PLACES] if self.meaning else []
        return (
            *(f"w{t:x}" for t in sorted(words)),
            *(f"n{n}" for n in numbers),
            *(f"p{p}" for p in places),
        )


@dataclass(frozen=True)
class Vectors:
    """An article's unit vectors, and the first form of each term of the whole text's."""

    body: Vector
    lead: Vector
    title: Vector
    surface: dict[int, str]


@dataclass(frozen=True)
class TooShort:
    article_id: str
    reason: str  # "no_text" | "too_short"


class StoryReader:
    def __init__(self, weights: WordWeights | None = None, stemmer: Stemmer | None = None):
        self._stemmer = stemmer or Stemmer()
        self._weights = weights or WordWeights(self._stemmer)

    def warm_up(self, languages: Sequence[str]) -> None:
        for language in languages:
            self._weights.compiled(language)

    def read(self, article: Mapping[str, Any]) -> StoryText | TooShort:
        """By the compiled reader (native/src/story_words.rs), which reads as
        read_in_python does (tests hold it to that)."""
        tags = article.get("tags") or {}
        language = tags.get("language")
        count, body, lead, title, surface, numbers, head = self._weights.compiled(language).read(
            folded(str(article.get("title") or ""), language),
            folded(without_dateline(str(article.get("body") or "")), language),
            LEAD_WORDS,
            BODY_TERMS,
            LEAD_TERMS,
            TITLE_TERMS,
            HEAD_TITLE_WORDS,
            HEAD_BODY_WORDS,
        )
        if count < MIN_WORDS:
            return TooShort(article["article_id"], "too_short" if count else "no_text")
        return self._text(
            article,
            Vectors(dict(body), dict(lead), dict(title), dict(surface)),
            frozenset(numbers),
            not ADD_ON_MARKS.isdisjoint(head),
        )

    def read_in_python(self, article: Mapping[str, Any]) -> StoryText | TooShort:
        """The rule, in Python: what read() gives, more slowly."""
        tags = article.get("tags") or {}
        language = tags.get("language")
        body_words = split_words(without_dateline(str(article.get("body") or "")), language)
        if len(body_words) < MIN_WORDS:
            return TooShort(article["article_id"], "too_short" if body_words else "no_text")
        table = self._weights.table(language)
        title_words = split_words(str(article.get("title") or ""), language)
        # Every word stemmed and weighed once; the title, the lead and the whole text are
        # counted from those.
        title_stems, body_stems = self._stems(title_words), self._stems(body_words)
        surface: dict[int, str] = {}
        whole = self._vector([*title_stems, *body_stems], table, surface)
        lead = self._vector(body_stems[:LEAD_WORDS], table, surface)
        title = self._vector(title_stems, table, surface)
        # Unit vectors once cut (match.py compares them knowing their norm is 1).
        body = normalized(strongest(whole, BODY_TERMS))
        vectors = Vectors(
            body,
            normalized(strongest(lead, LEAD_TERMS)),
            normalized(strongest(title, TITLE_TERMS)),
            {t: surface[t] for t in body},
        )
        head = [*title_words[:HEAD_TITLE_WORDS], *body_words[:HEAD_BODY_WORDS]]
        return self._text(
            article,
            vectors,
            telling_numbers([*title_words, *body_words]),
            not ADD_ON_MARKS.isdisjoint(head),
        )

    def _text(
        self, article: Mapping[str, Any], vectors: Vectors, numbers: frozenset[str], add_on: bool
    ) -> StoryText:
        tags = article.get("tags") or {}
        dedupe = article.get("dedupe") or {}
        return StoryText(
            article_id=article["article_id"],
            outlet=str(article.get("outlet") or ""),
            title=str(article.get("title") or ""),
            at=published_at(article),
            body=vectors.body,
            lead=vectors.lead,
            title_terms=vectors.title,
            numbers=numbers,
            places=frozenset(p["id"] for p in tags.get("places") or ()),
            surface=vectors.surface,
            copy_of=(dedupe.get("duplicate_of") or "")
            if dedupe.get("relation") in COPY_RELATIONS
            else "",
            add_on=add_on,
            language=str(tags.get("language") or ""),
        )

    def _stems(self, words: list[str]) -> list[tuple[str, str]]:
        """(stem, word) of each word that is not a number."""
        stem = self._stemmer
        return [(stem(w), w) for w in words if not is_number(w)]

    def _vector(
        self, stems: list[tuple[str, str]], table: dict[str, float], surface: dict[int, str]
    ) -> Vector:
        first_form: dict[str, str] = {}
        for stem, word in stems:
            first_form.setdefault(stem, word)
        vector: Vector = {}
        for stem, n in Counter(s for s, _ in stems).items():
            weight = self._weights.weight(table, stem)
            if weight > 0:
                t = term(stem)
                vector[t] = (1 + math.log(n)) * weight
                surface.setdefault(t, first_form[stem])
        return normalized(vector)


# A publication time before this is a placeholder (a CMS's default date, 1970), not news:
# the seen time says more. (An archive loaded with `newsflow backfill` keeps its real dates.)
EARLIEST_PUBLISHED = datetime(2000, 1, 1, tzinfo=UTC)


def published_at(article: Mapping[str, Any]) -> float:
    """The article's publication time; its seen time when the feed gave none, a time after
    it was seen (a wrong clock or time zone at the outlet) or a placeholder date."""
    seen = parse_iso(article["seen_at"])
    published = article.get("published")
    when: datetime = seen
    if published:
        try:
            when = min(parse_iso(published), seen)
        except ValueError:
            when = seen
        if when < EARLIEST_PUBLISHED:
            when = seen
    return when.timestamp()
