"""What the story step asks of its index of live stories, and what it gets back (pure).

adapters/story_index.py implements StoryIndex on Redis. Reading and writing are two steps:
the step decides in between, in Python, from what it read. A write says what it was decided
from (the stories found under the article's keys, the joined story's version); the index
refuses it (`conflict`) when a story not found then is now under one of those keys (opened
since, or grown by an article that shares them), or when the story joined (or the story it
absorbs, match.py) moved meanwhile: the step then reads again and decides again. So two
workers handling two rewrites of one story at the same moment give one story, and no growth
is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from workers.story.state import StoryState

StoryObject = dict[str, Any]  # the `story` of a processed article (schemas/processed.v1)


@dataclass(frozen=True)
class Lookup:
    article_id: str
    copy_of: str  # "" when the article is no copy
    keys: Sequence[str]


@dataclass(frozen=True)
class Seen:
    found: frozenset[int]  # index numbers of every story found under its keys
    assigned: StoryObject | None  # the story this article got before (a redelivery)
    candidates: Sequence[StoryState]
    copy_story: int  # the index number of the original's story (0: none or not known)


@dataclass(frozen=True)
class Commit:
    article_id: str
    found: frozenset[int]  # as read: any other story under its keys is a conflict
    keys: Sequence[str]
    # the story after this article (seq 0: a new story); None: the article is a story of
    # its own that no other joins (too little text), and only its answer is kept
    state: StoryState | None
    joined_version: int  # the joined story's version as read (0: a new story)
    story: StoryObject  # what the article is emitted with, kept for its redeliveries
    merged_seq: int = 0  # the story the joined one absorbs (0: none), its version as read
    merged_version: int = 0
    merged_first: str = ""  # and its first article (its id), whose answer lives on with it


@dataclass(frozen=True)
class Committed:
    outcome: Literal["written", "replay", "conflict"]
    story: StoryObject | None  # the stored story object of a replay


class StoryIndex(Protocol):
    def read_many(self, lookups: Sequence[Lookup]) -> list[Seen]: ...

    def commit_many(self, commits: Sequence[Commit]) -> list[Committed]: ...
