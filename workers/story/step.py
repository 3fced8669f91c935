"""The story step: each article of a batch gets its story (workers/story/match.py decides),
read from and written to the index in two round trips a batch, and once more for an article
whose write was refused because the stories it was decided from changed meanwhile (index.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from workers.errors import TransientError
from workers.story.dateline import without_dateline
from workers.story.features import StoryReader, StoryText, TooShort
from workers.story.index import Commit, Committed, Lookup, Seen, StoryIndex, StoryObject
from workers.story.match import MERGE_SCORE, Decision, decide
from workers.story.meaning import Encoder, gist

logger = logging.getLogger(__name__)

MAX_RETRIES = 8  # conflicts in a row for one article: only a storm of writers gets there


class StoryConflicts(TransientError):
    """An article's story write was refused MAX_RETRIES times in a row."""


def own_story(short: TooShort) -> StoryObject:
    """The story of an article with too little text to compare: its own, with the reason."""
    return story_object(short.article_id, "first", 0.0, [], {}, 1, 1, short.reason)


def story_object(
    story_id: str,
    role: str,
    score: float,
    matched: list[dict[str, object]],
    evidence: dict[str, object],
    size: int,
    outlets: int,
    reason: str | None = None,
    merged: list[str] | None = None,
) -> StoryObject:
    return {
        "story_id": story_id,
        "role": role,
        "score": score,
        "matched": matched,
        "evidence": evidence,
        "size": size,
        "outlets": outlets,
        "reason": reason,
        "merged": merged or [],
    }


def object_of(decision: Decision) -> StoryObject:
    state = decision.state
    return story_object(
        state.story_id,
        decision.role,
        decision.score,
        decision.matched,
        decision.evidence,
        state.size,
        state.outlet_count,
        merged=[decision.merged.story_id] if decision.merged else [],
    )


@dataclass
class StoryStep:
    index: StoryIndex
    reader: StoryReader
    window_s: int
    merge_score: float = MERGE_SCORE
    encoder: Encoder | None = None  # stories matched across languages too (meaning.py)

    def warm_up(self, languages: Sequence[str]) -> None:
        """Word tables built and the encoder loaded before the first article."""
        self.reader.warm_up(languages)
        if self.encoder is not None:
            self.encoder.encode(["warm up"])

    def assign_batch(self, articles: Sequence[Mapping[str, Any]]) -> list[StoryObject]:
        """The batch's stories, in its order (a story opened by an article is there for the
        batch's later ones)."""
        texts = [self.reader.read(a) for a in articles]
        if self.encoder is not None:
            texts = with_meanings(self.encoder, articles, texts)
        comparable = [t for t in texts if isinstance(t, StoryText)]
        results = self._own_stories([t for t in texts if isinstance(t, TooShort)])
        for wave in waves(comparable):
            results |= self._assign_wave(wave)
        return [results[t.article_id] for t in texts]

    def _own_stories(self, shorts: Sequence[TooShort]) -> dict[str, StoryObject]:
        """Articles too short to compare: the story each had before (an earlier version of
        the article may have had text), else one of their own, kept as their answer so that
        a later version with text keeps it too."""
        if not shorts:
            return {}
        seen = self.index.read_many([Lookup(s.article_id, "", ()) for s in shorts])
        results = {
            s.article_id: v.assigned for s, v in zip(shorts, seen, strict=True) if v.assigned
        }
        new = [s for s in shorts if s.article_id not in results]
        pins = [Commit(s.article_id, frozenset(), (), None, 0, own_story(s)) for s in new]
        for pin, outcome in zip(pins, self.index.commit_many(pins), strict=True):
            results[pin.article_id] = (
                outcome.story if outcome.outcome == "replay" and outcome.story else pin.story
            )
        return results

    def _assign_wave(self, wave: Sequence[StoryText]) -> dict[str, StoryObject]:
        """Articles that share no key: read together, decided, written together."""
        seen = self.index.read_many([lookup_of(t) for t in wave])
        pending = [self._commit_of(t, s) for t, s in zip(wave, seen, strict=True)]
        written = iter(self.index.commit_many([c for c in pending if isinstance(c, Commit)]))
        results: dict[str, StoryObject] = {}
        for text, commit in zip(wave, pending, strict=True):
            if isinstance(commit, Commit):
                results[text.article_id] = self._settled(text, commit, next(written))
            else:
                results[text.article_id] = commit
        return results

    def _commit_of(self, text: StoryText, seen: Seen) -> Commit | StoryObject:
        """The write for the article's decision; the story it already has on a redelivery."""
        if seen.assigned is not None:
            return seen.assigned
        decision = decide(
            text,
            seen.candidates,
            window_s=self.window_s,
            copy_story=seen.copy_story,
            merge_score=self.merge_score,
        )
        return commit_of(text, seen, decision)

    def _settled(self, text: StoryText, commit: Commit, outcome: Committed) -> StoryObject:
        refused = 0
        while True:
            if outcome.outcome == "written":
                return commit.story
            if outcome.outcome == "replay" and outcome.story is not None:
                return outcome.story
            refused += 1
            # Raise before writing again, never after: a write that went through would leave
            # the article a story in the index while the batch is retried as refused.
            if refused == MAX_RETRIES:
                raise StoryConflicts(f"story of {text.article_id} refused {MAX_RETRIES} times")
            [seen] = self.index.read_many([lookup_of(text)])
            again = self._commit_of(text, seen)
            if not isinstance(again, Commit):
                return again
            commit = again
            [outcome] = self.index.commit_many([commit])


def commit_of(text: StoryText, seen: Seen, decision: Decision) -> Commit:
    """The write of a decision, saying what it was decided from (index.py)."""
    joined, merged = decision.joined, decision.merged
    return Commit(
        article_id=text.article_id,
        found=seen.found,
        keys=text.keys,
        state=decision.state,
        joined_version=joined.version if joined else 0,
        story=object_of(decision),
        merged_seq=merged.seq if merged else 0,
        merged_version=merged.version if merged else 0,
        merged_first=merged.story_id if merged else "",
    )


def with_meanings(
    encoder: Encoder, articles: Sequence[Mapping[str, Any]], texts: list[StoryText | TooShort]
) -> list[StoryText | TooShort]:
    """The texts to compare with their meanings, the batch's encoded in one call."""
    comparable = [n for n, t in enumerate(texts) if isinstance(t, StoryText)]
    if not comparable:
        return texts
    gists = [
        gist(str(articles[n].get("title") or ""), without_dateline(str(articles[n]["body"])))
        for n in comparable
    ]
    meanings = dict(zip(comparable, encoder.encode(gists), strict=True))
    return [
        replace(t, meaning=meanings[n]) if isinstance(t, StoryText) else t
        for n, t in enumerate(texts)
    ]


def waves(texts: Sequence[StoryText]) -> list[list[StoryText]]:
    """The batch cut into waves, in its order: an article goes in the wave after the last one
    holding an earlier article it shares a key with (or the article it copies, or its own id
    again). Read and written together, a wave's articles cannot affect each other's
    decisions; read in one round trip with an earlier one that could, an article would be
    decided from a stale read and refused (index.py), then read again alone."""
    out: list[list[StoryText]] = []
    wave_of_key: dict[str, int] = {}
    for text in texts:
        marks = [*text.keys, f"id:{text.article_id}"]
        after = [wave_of_key[k] for k in (*marks, f"id:{text.copy_of}") if k in wave_of_key]
        wave = max(after) + 1 if after else 0
        if wave == len(out):
            out.append([])
        out[wave].append(text)
        for mark in marks:
            wave_of_key[mark] = max(wave_of_key.get(mark, -1), wave)
    return out


def lookup_of(text: StoryText) -> Lookup:
    return Lookup(text.article_id, text.copy_of, text.keys)
