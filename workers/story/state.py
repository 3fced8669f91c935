"""A story as the index keeps it between articles (pure): centroids of its members' words,
the numbers and places most of them name, its span, its outlets, its latest members."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from workers.story.features import BODY_TERMS, LEAD_TERMS, TITLE_TERMS, StoryText
from workers.story.vectors import Vector, added, norm, pack, strongest, unpack

MEMBERS_KEPT = 8  # the latest members, for `matched`
MEMBER_TERMS = 6  # of each member's lead
NUMBERS_KEPT = 12
PLACES_KEPT = 8
OUTLETS_KEPT = 32
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
    body: Vector  # sums of the members' normalized vectors, the heaviest words kept
    lead: Vector
    title_terms: Vector
    numbers: Mapping[str, int]  # number -> members that name it
    places: Mapping[str, int]
    members: tuple[Member, ...]  # the latest ones, newest last

    @property
    def outlet_count(self) -> int:
        return len(self.outlets)

    @cached_property
    def norms(self) -> tuple[float, float, float]:
        """The norms of its body, lead and title centroids, for all its comparisons."""
        return norm(self.body), norm(self.lead), norm(self.title_terms)

    def majority(self, counts: Mapping[str, int]) -> frozenset[str]:
        """What at least half its members name (all of a one-member story's)."""
        need = max(1, (self.size + 1) // 2)
        return frozenset(k for k, n in counts.items() if n >= need)


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
    )


def grown_by(story: StoryState, text: StoryText) -> StoryState:
    outlets = story.outlets
    if text.outlet not in outlets and len(outlets) < OUTLETS_KEPT:
        outlets = (*outlets, text.outlet)
    return replace(
        story,
        version=story.version + 1,
        size=story.size + 1,
        outlets=outlets,
        first_seen=min(story.first_seen, text.at),
        last_growth=max(story.last_growth, text.at),
        body=added(story.body, [text.body], BODY_TERMS),
        lead=added(story.lead, [text.lead], LEAD_TERMS),
        title_terms=added(story.title_terms, [text.title_terms], TITLE_TERMS),
        numbers=_counted(story.numbers, text.numbers, NUMBERS_KEPT),
        places=_counted(story.places, text.places, PLACES_KEPT),
        members=(*story.members, member_of(text))[-MEMBERS_KEPT:],
    )


def member_of(text: StoryText) -> Member:
    return Member(text.article_id, text.outlet, pack(strongest(text.lead, MEMBER_TERMS)))


def _counted(counts: Mapping[str, int], new: frozenset[str], keep: int) -> dict[str, int]:
    out = dict(counts)
    for key in new:
        out[key] = out.get(key, 0) + 1
    if len(out) <= keep:
        return out
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))[:keep])
