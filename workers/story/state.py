"""A story as the index keeps it between articles (pure): centroids of its members' words,
the numbers and places most of them name, its span, its outlets, its latest members."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from workers.story.features import BODY_TERMS, LEAD_TERMS, TITLE_TERMS, StoryText
from workers.story.meaning import Meaning, merged_meaning
from workers.story.vectors import Vector, added, norm, pack, strongest, unpack

MEMBERS_KEPT = 8  # the latest members, for `matched`
MEMBER_TERMS = 6  # of each member's lead
NUMBERS_KEPT = 12
PLACES_KEPT = 8
OUTLETS_KEPT = 32
LANGUAGES_KEPT = 8
TITLE_CHARS = 80  # of its first title, for `newsflow stories`


@dataclass(frozen=True)
class Member:
    article_id: str
    outlet: str
    # Packed (vectors.pack): read only for the story an article joins, not for every
    # candidate story the index returns.
    packed_lead: bytes = field(repr=False)

    @cached_property
    def lead(self) -> Vector:
        return unpack(self.packed_lead)


@dataclass(frozen=True)
class StoryState:
    seq: int  # the index's number for it (0 until the index gave one)
    story_id: str  # the id of its first article: never changes
    version: int  # grows with every member: a write over another worker's is refused
    size: int
    outlets: tuple[str, ...]
    first_seen: float
    last_growth: float
    title: str  # its first article's title
    # sums of the members' normalized vectors, the heaviest words kept (packed as read from
    # the index: vectors.PackedVector)
    body: Mapping[int, float]
    lead: Mapping[int, float]
    title_terms: Mapping[int, float]
    numbers: Mapping[str, int]  # number -> members that name it
    places: Mapping[str, int]
    # the latest ones, newest last (decoded only when read: most candidate stories are not)
    members: Sequence[Member]
    languages: tuple[str, ...] = ()  # of its members ("" unknown), first seen first
    meaning: Meaning = ()  # the direction of its members' meanings (meaning.py), if any

    @property
    def outlet_count(self) -> int:
        return len(self.outlets)

    @cached_property
    def norms(self) -> tuple[float, float, float]:
        """The norms of its body, lead and title centroids, for all its comparisons."""
        return norm(self.body), norm(self.lead), norm(self.title_terms)

    def majority(self, counts: Mapping[str, int]) -> frozenset[str]:
        """What at least half its members name (all of a one-member story's)."""
        need = self._half
        return frozenset(k for k, n in counts.items() if n >= need)

    def named_by_most(self, numbers: frozenset[str]) -> int:
        """How many of these numbers at least half its members name (majority(), counted)."""
        need, counts = self._half, self.numbers
        return sum(1 for n in numbers if counts.get(n, 0) >= need)

    @property
    def _half(self) -> int:
        return max(1, (self.size + 1) // 2)


def opened_by(text: StoryText) -> StoryState:
    return StoryState(
        seq=0,
        story_id=text.article_id,
        version=1,
        size=1,
        outlets=(text.outlet,),
        first_seen=text.at,
        last_growth=text.at,
        title=text.title[:TITLE_CHARS],
        body=dict(text.body),
        lead=dict(text.lead),
        title_terms=dict(text.title_terms),
        numbers=_counted({}, text.numbers, NUMBERS_KEPT),
        places=_counted({}, text.places, PLACES_KEPT),
        members=(member_of(text),),
        languages=(text.language,),
        meaning=text.meaning,
    )


def grown_by(story: StoryState, text: StoryText) -> StoryState:
    """The story with the article as its newest member, one version on."""
    # The article whole: its numbers and places are cut with the story's, by their counts.
    own = replace(
        opened_by(text),
        numbers=dict.fromkeys(text.numbers, 1),
        places=dict.fromkeys(text.places, 1),
    )
    return replace(absorbed(story, own), version=story.version + 1)


def absorbed(story: StoryState, other: StoryState) -> StoryState:
    """`story` with every member of `other` added (a story found to be the same news item:
    match.py), newest last, at the same version (the article that brings them together
    makes the next one). The centroids are sums of the members' vectors, so they add up;
    its first title and id stay."""
    return replace(
        story,
        size=story.size + other.size,
        outlets=_joined(story.outlets, other.outlets, OUTLETS_KEPT),
        first_seen=min(story.first_seen, other.first_seen),
        last_growth=max(story.last_growth, other.last_growth),
        body=added(story.body, [other.body], BODY_TERMS),
        lead=added(story.lead, [other.lead], LEAD_TERMS),
        title_terms=added(story.title_terms, [other.title_terms], TITLE_TERMS),
        numbers=_summed(story.numbers, other.numbers, NUMBERS_KEPT),
        places=_summed(story.places, other.places, PLACES_KEPT),
        members=(*story.members, *other.members)[-MEMBERS_KEPT:],
        languages=_joined(story.languages, other.languages, LANGUAGES_KEPT),
        meaning=merged_meaning(story.meaning, story.size, other.meaning, other.size),
    )


def _joined(kept: tuple[str, ...], more: tuple[str, ...], keep: int) -> tuple[str, ...]:
    """Both, in order, each once, the first `keep`."""
    return (*kept, *(x for x in more if x not in kept))[:keep]


def member_of(text: StoryText) -> Member:
    return Member(text.article_id, text.outlet, pack(strongest(text.lead, MEMBER_TERMS)))


def _counted(counts: Mapping[str, int], new: frozenset[str], keep: int) -> dict[str, int]:
    return _summed(counts, dict.fromkeys(new, 1), keep)


def _summed(counts: Mapping[str, int], more: Mapping[str, int], keep: int) -> dict[str, int]:
    out = dict(counts)
    for key, n in more.items():
        out[key] = out.get(key, 0) + n
    if len(out) <= keep:
        return out
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:keep])
