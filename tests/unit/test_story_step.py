"""The story step over an in-memory index that refuses writes as the Redis one does
(workers/story/index.py): articles too short to compare, redeliveries, writes refused
because another worker changed the stories meanwhile, and the story events."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import jsonschema_rs
import pytest

from schemas.contracts import load_schema, problems
from tests.story_articles import ListedWeights, article, article_id, budget, storm
from workers.errors import TransientError
from workers.story.events import story_event, story_events
from workers.story.features import StoryReader, StoryText
from workers.story.index import Commit, Committed, Lookup, Seen, StoryObject
from workers.story.state import StoryState, opened_by
from workers.story.step import MAX_RETRIES, StoryConflicts, StoryStep

WINDOW_S = 86_400
READER = StoryReader(ListedWeights())


@dataclass
class MemoryStoryIndex:
    """StoryIndex in memory: a write is refused when a story not found at its read is now
    under one of the article's keys, or the joined (or absorbed) story's version moved (as
    the Redis index's commit script refuses it); a story merged into another is read as
    that one."""

    stories: dict[int, StoryState] = field(default_factory=dict)
    assigned: dict[str, tuple[int, str]] = field(default_factory=dict)  # id -> seq, object
    posted: dict[str, list[int]] = field(default_factory=dict)
    merged_into: dict[int, int] = field(default_factory=dict)
    reads: list[list[str]] = field(default_factory=list)
    commits: list[list[str]] = field(default_factory=list)
    refuse: int = 0  # writes refused before any goes through (a storm of other writers)
    meanwhile: Callable[[], None] | None = None  # another worker, before the next commit

    def read_many(self, lookups: Sequence[Lookup]) -> list[Seen]:
        if not lookups:
            return []  # as the Redis index: no round trip for nothing
        self.reads.append([lookup.article_id for lookup in lookups])
        return [self._read(lookup) for lookup in lookups]

    def commit_many(self, commits: Sequence[Commit]) -> list[Committed]:
        if not commits:
            return []
        if self.meanwhile is not None:
            other, self.meanwhile = self.meanwhile, None
            other()
        self.commits.append([c.article_id for c in commits])
        return [self._commit(c) for c in commits]

    def story_of(self, article_id: str) -> StoryState:
        return self.stories[self.assigned[article_id][0]]

    def _under(self, keys: Sequence[str]) -> frozenset[int]:
        return frozenset(seq for key in keys for seq in self.posted.get(key, ()))

    def _read(self, lookup: Lookup) -> Seen:
        if lookup.article_id in self.assigned:
            return Seen(frozenset(), json.loads(self.assigned[lookup.article_id][1]), (), 0)
        copy_story = self._live(self.assigned.get(lookup.copy_of, (0, ""))[0])
        found = self._under(lookup.keys)
        live = {self._live(s) for s in found | {copy_story}}
        candidates = [self.stories[s] for s in sorted(live) if s in self.stories]
        return Seen(found, None, candidates, copy_story)

    def _live(self, seq: int) -> int:
        while seq in self.merged_into:
            seq = self.merged_into[seq]
        return seq

    def _commit(self, commit: Commit) -> Committed:
        if commit.article_id in self.assigned:
            return Committed("replay", json.loads(self.assigned[commit.article_id][1]))
        if commit.state is None:  # a story of its own: the answer alone, never refused
            self.assigned[commit.article_id] = (0, json.dumps(commit.story))
            return Committed("written", None)
        if self.refuse:
            self.refuse -= 1
            return Committed("conflict", None)
        if not self._under(commit.keys) <= commit.found:
            return Committed("conflict", None)
        seq = commit.state.seq
        if seq == 0:
            seq = len(self.stories) + 1
        elif self.stories[seq].version != commit.joined_version:
            return Committed("conflict", None)
        if commit.merged_seq:
            absorbed = self.stories[commit.merged_seq]
            if absorbed.version != commit.merged_version:
                return Committed("conflict", None)
            self.stories[commit.merged_seq] = replace(absorbed, version=absorbed.version + 1)
            self.merged_into[commit.merged_seq] = seq
        self.stories[seq] = replace(commit.state, seq=seq)
        for key in commit.keys:
            self.posted.setdefault(key, []).append(seq)
        self.assigned[commit.article_id] = (seq, json.dumps(commit.story))
        return Committed("written", None)


def step_on(index: MemoryStoryIndex) -> StoryStep:
    return StoryStep(index, READER, WINDOW_S)


def later(step: StoryStep, articles: list[dict[str, Any]]) -> Callable[[], None]:
    """Another worker's turn: its articles handled in full."""

    def turn() -> None:
        step.assign_batch(articles)

    return turn


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param("", "no_text", id="empty"),
        pytest.param(" — … — ", "no_text", id="punctuation-only"),
        pytest.param(
            "Storm closes Valmora harbour; ferries to Ostrel cancelled.", "too_short", id="one-line"
        ),
        pytest.param(" ".join(["word"] * 19), "too_short", id="nineteen-words"),
    ],
)
def test_an_article_too_short_to_compare_gets_a_story_of_its_own(body: str, reason: str) -> None:
    index = MemoryStoryIndex()
    short = article(article_id(9), "Storm closes Valmora harbour", body)
    stories = step_on(index).assign_batch([storm(0, article_id(1), "Wire"), short])
    assert stories[1] == {
        "story_id": article_id(9),
        "role": "first",
        "score": 0.0,
        "matched": [],
        "evidence": {},
        "size": 1,
        "outlets": 1,
        "reason": reason,
        "merged": [],
    }
    assert stories[0]["story_id"] == article_id(1)
    # The short one's answer is kept, in no story: no story holds it, none can find it.
    assert index.reads == [[article_id(9)], [article_id(1)]]
    assert index.commits == [[article_id(9)], [article_id(1)]]
    assert index.assigned[article_id(9)][0] == 0
    assert len(index.stories) == 1


def test_a_later_version_with_text_keeps_the_story_its_short_version_had() -> None:
    """An article's story id never changes once emitted: a feed summary first (too short),
    the page's full text later under the same id, which would otherwise join the story."""
    index = MemoryStoryIndex()
    step = step_on(index)
    step.assign_batch([storm(0, article_id(1), "Wire")])
    [short] = step.assign_batch([article(article_id(9), "Storm closes harbour", "Ferries stop.")])
    [full] = step.assign_batch([storm(1, article_id(9), "Courier")])
    assert short["story_id"] == full["story_id"] == article_id(9)
    assert full == short


def test_rewrites_share_a_story_and_an_unrelated_article_opens_its_own() -> None:
    index = MemoryStoryIndex()
    step = step_on(index)
    [first] = step.assign_batch([storm(0, article_id(1), "Wire")])
    [second] = step.assign_batch([storm(1, article_id(2), "Gazette")])
    [other] = step.assign_batch([budget(article_id(3))])
    assert (first["role"], first["size"]) == ("first", 1)
    assert (second["story_id"], second["role"], second["size"]) == (article_id(1), "rewrite", 2)
    assert (other["story_id"], other["role"]) == (article_id(3), "first")


def test_rewrites_in_one_batch_share_a_story() -> None:
    """Both are read before either is written: the second's write is refused once the first
    opened the story, and it is decided again with that story in view."""
    index = MemoryStoryIndex()
    stories = step_on(index).assign_batch([storm(n, article_id(n), f"Outlet{n}") for n in range(3)])
    assert [s["story_id"] for s in stories] == [article_id(0)] * 3
    assert [s["size"] for s in stories] == [1, 2, 3]
    assert index.story_of(article_id(0)).size == 3


def test_a_redelivered_article_gets_its_story_as_it_was_emitted() -> None:
    index = MemoryStoryIndex()
    step = step_on(index)
    [first] = step.assign_batch([storm(0, article_id(1), "Wire")])
    [joined] = step.assign_batch([storm(1, article_id(2), "Gazette")])
    step.assign_batch([storm(2, article_id(3), "Courier")])  # the story grows meanwhile

    again = step.assign_batch([storm(0, article_id(1), "Wire"), storm(1, article_id(2), "Gazette")])

    assert again == [first, joined]
    assert (again[0]["size"], again[1]["size"]) == (1, 2)
    assert index.story_of(article_id(1)).size == 3
    assert len(index.commits) == 3  # the redelivered ones were only read


def test_an_article_twice_in_one_batch_gets_one_story() -> None:
    index = MemoryStoryIndex()
    stories = step_on(index).assign_batch([storm(0, article_id(1), "Wire")] * 2)
    assert stories[0] == stories[1]
    assert index.story_of(article_id(1)).size == 1


@pytest.mark.parametrize(
    ("rival", "size"),
    [
        pytest.param([storm(1, article_id(2), "Gazette")], 2, id="opened-meanwhile"),
        pytest.param(
            [storm(1, article_id(2), "Gazette"), storm(2, article_id(3), "Courier")],
            3,
            id="grew-meanwhile",
        ),
    ],
)
def test_a_write_refused_is_read_and_decided_again(rival: list[dict[str, Any]], size: int) -> None:
    """Another worker opens (or grows) the story between this step's read and its write:
    the write is refused, the step reads again and joins the story as it is now."""
    index = MemoryStoryIndex()
    rivals = step_on(index)
    rivals.assign_batch(rival[:-1])
    index.meanwhile = later(rivals, rival[-1:])

    [story] = step_on(index).assign_batch([storm(3, article_id(4), "Daily")])

    assert (story["story_id"], story["role"], story["size"]) == (article_id(2), "rewrite", size)
    assert sum(article_id(4) in read for read in index.reads) == 2  # read again when refused
    assert index.story_of(article_id(4)).size == size  # no growth lost
    assert {m.article_id for m in index.story_of(article_id(4)).members} == {
        *(a["article_id"] for a in rival),
        article_id(4),
    }


def test_an_article_another_worker_handled_meanwhile_gets_that_workers_story() -> None:
    """Two workers hold the same article at once (a redelivery after a rebalance): the one
    whose write comes second emits the story the first wrote."""
    index = MemoryStoryIndex()
    mine = storm(0, article_id(1), "Wire")
    theirs: list[StoryObject] = []
    index.meanwhile = lambda: theirs.extend(step_on(index).assign_batch([mine]))

    [story] = step_on(index).assign_batch([mine])

    assert story == theirs[0]
    assert index.story_of(article_id(1)).size == 1


@pytest.mark.parametrize("refused", [1, MAX_RETRIES - 1])
def test_a_story_written_after_some_refusals(refused: int) -> None:
    index = MemoryStoryIndex(refuse=refused)
    [story] = step_on(index).assign_batch([storm(0, article_id(1), "Wire")])
    assert story["story_id"] == article_id(1)
    assert len(index.commits) == refused + 1


def test_max_retries_refusals_in_a_row_raise_story_conflicts_and_write_nothing() -> None:
    """The stage retries the batch later (a TransientError); the step must not have written
    the article's story meanwhile, or it raised over a story it did write."""
    index = MemoryStoryIndex(refuse=MAX_RETRIES)
    with pytest.raises(StoryConflicts, match=article_id(1)) as raised:
        step_on(index).assign_batch([storm(0, article_id(1), "Wire")])
    assert isinstance(raised.value, TransientError)
    assert len(index.commits) == MAX_RETRIES
    assert index.assigned == {}


def test_story_events_opened_and_grew_and_the_same_on_a_replay() -> None:
    index = MemoryStoryIndex()
    step = step_on(index)
    first, second = storm(0, article_id(1), "Wire"), storm(1, article_id(2), "Gazette")
    short = article(article_id(3), "Storm", "Valmora harbour closed")
    stories = step.assign_batch([first, short]) + step.assign_batch([second])
    events = [story_event(a, s) for a, s in zip([first, short, second], stories, strict=True)]

    assert [(e["event"], e["role"], e["story_id"], e["size"], e["outlets"]) for e in events] == [
        ("opened", "first", article_id(1), 1, 1),
        ("opened", "first", article_id(3), 1, 1),
        ("grew", "rewrite", article_id(1), 2, 2),
    ]
    assert events[2]["at"] == second["published"]
    assert events[2]["url"] == second["url"]
    assert all(problems("story_event.v1", e) == [] for e in events)

    replayed = step.assign_batch([second, short, first])
    again = [story_event(a, s) for a, s in zip([second, short, first], replayed, strict=True)]
    assert again == [events[2], events[1], events[0]]


def test_the_story_objects_are_what_the_processed_contract_asks() -> None:
    story_schema = load_schema("processed.v1")["properties"]["story"]
    stories = step_on(MemoryStoryIndex()).assign_batch(
        [
            storm(0, article_id(1), "Wire"),
            storm(1, article_id(2), "Gazette"),
            budget(article_id(3)),
            article(article_id(4), "Storm", "Valmora harbour closed"),
        ]
    )
    assert [s["role"] for s in stories] == ["first", "rewrite", "first", "first"]
    for story in stories:
        assert jsonschema_rs.validator_for(story_schema).is_valid(story), story


def opened_apart(index: MemoryStoryIndex, *articles: dict[str, Any]) -> list[StoryState]:
    """Stories opened by these articles, one each, as if each had opened before the others
    were there to join (numbered 1, 2, ...; the later one the younger)."""
    states = []
    for n, message in enumerate(articles, 1):
        text = READER.read(message)
        assert isinstance(text, StoryText)
        state = replace(opened_by(text), seq=n)
        index.stories[n] = state
        for key in text.keys:
            index.posted.setdefault(key, []).append(n)
        index.assigned[text.article_id] = (n, json.dumps({"story_id": text.article_id}))
        states.append(state)
    return states


COPY_OF_SECOND = {"relation": "exact_duplicate", "duplicate_of": article_id(2)}


def test_an_article_linking_two_stories_of_one_news_item_merges_the_younger_into_the_older() -> (
    None
):
    index = MemoryStoryIndex()
    opened_apart(index, storm(0, article_id(1), "Wire"), storm(1, article_id(2), "Gazette"))
    step = step_on(index)
    bridge = storm(2, article_id(3), "Courier")
    [story] = step.assign_batch([bridge])

    assert story["story_id"] == article_id(1)
    assert story["merged"] == [article_id(2)]
    assert (story["size"], story["outlets"]) == (3, 3)
    assert index.merged_into == {2: 1}
    events = story_events(bridge, story)
    assert [(e["event"], e["story_id"], e.get("merged_into")) for e in events] == [
        ("grew", article_id(1), None),
        ("merged", article_id(2), article_id(1)),
    ]
    assert all(problems("story_event.v1", e) == [] for e in events)
    assert problems("story_event.v1", {k: v for k, v in events[1].items() if k != "merged_into"})
    story_schema = load_schema("processed.v1")["properties"]["story"]
    assert jsonschema_rs.validator_for(story_schema).is_valid(story)

    # Redelivered, the article repeats its story and both its events.
    [again] = step.assign_batch([bridge])
    assert story_events(bridge, again) == events
    # A copy of the absorbed story's first article joins the story that absorbed it.
    [copy] = step.assign_batch([storm(1, article_id(4), "Herald", dedupe=COPY_OF_SECOND)])
    assert (copy["story_id"], copy["role"]) == (article_id(1), "copy")


def test_a_merge_is_refused_when_the_absorbed_story_moved_meanwhile() -> None:
    index = MemoryStoryIndex()
    older, younger = opened_apart(
        index, storm(0, article_id(1), "Wire"), storm(1, article_id(2), "Gazette")
    )

    def another_worker() -> None:  # grows the younger story between read and write
        index.stories[2] = replace(younger, version=younger.version + 1)

    index.meanwhile = another_worker
    [story] = step_on(index).assign_batch([storm(2, article_id(3), "Courier")])
    assert story["merged"] == [article_id(2)]
    assert len(index.reads) == 2  # read again after the refused write, then merged
    assert index.stories[1].size == 3 and index.merged_into == {2: 1}
    assert older.size == 1
