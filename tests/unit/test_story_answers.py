"""An article's story object as the story index keeps it for redeliveries
(adapters/story_index.py): without what can be restored, and restored whole, in order; and
a story's header as the index keeps it."""

from __future__ import annotations

import orjson
import pytest

from adapters.story_index import pack_answer, pack_header, unpack_answer, unpack_state
from workers.story.index import StoryObject
from workers.story.state import Member, StoryState
from workers.story.step import story_object

ARTICLE = "a" * 32
OTHER = "b" * 32

ANSWERS = {
    "opened": story_object(ARTICLE, "first", 0.412, [], {}, 1, 1),
    "too-short": story_object(ARTICLE, "first", 0.0, [], {}, 1, 1, "too_short"),
    "joined": story_object(
        OTHER,
        "rewrite",
        0.83,
        [{"article_id": OTHER, "outlet": "Wire", "lead_similarity": 0.61}],
        {"shared_words": ["harbour"], "shared_numbers": ["23"], "signals": {"body": 0.5}},
        3,
        2,
    ),
    "merged": story_object(OTHER, "part", 0.9, [], {"title_overlap": 0.4}, 5, 1, None, [ARTICLE]),
}


@pytest.mark.parametrize("story", ANSWERS.values(), ids=ANSWERS.keys())
def test_an_answer_reads_back_whole_and_in_order(story: StoryObject) -> None:
    back = unpack_answer(ARTICLE, pack_answer(ARTICLE, story))
    assert back == story
    assert list(back) == list(story)  # re-encoded, the processed record is the same bytes


def test_an_article_that_opened_its_story_keeps_its_score_alone() -> None:
    assert orjson.loads(pack_answer(ARTICLE, ANSWERS["opened"])) == {"score": 0.412}


def test_an_answer_kept_whole_reads_the_same() -> None:
    """Answers written before they were packed hold every field."""
    whole = orjson.dumps(ANSWERS["joined"])
    assert unpack_answer(ARTICLE, whole) == ANSWERS["joined"]


def _story(members: tuple[Member, ...]) -> StoryState:
    return StoryState(
        seq=7,
        story_id=ARTICLE,
        version=3,
        size=len(members),
        outlets=("Wire", "Paper"),
        first_seen=1520393956.0,
        last_growth=1520397556.0,
        title="Harbour reopens",
        body={},
        lead={},
        title_terms={},
        numbers={"23": 2},
        places={"GB": 1},
        members=members,
        languages=("en",),
    )


MEMBERS = (Member(ARTICLE, "Wire", b"\x01\x02\xfe"), Member(OTHER, "Paper", b"\x00" * 36))


def test_a_header_reads_back_with_its_members() -> None:
    header = pack_header(_story(MEMBERS))
    back = unpack_state(7, 3, header, b"", b"", b"")
    assert list(back.members) == list(MEMBERS)
    assert (back.story_id, back.size, back.title, back.numbers) == (
        ARTICLE,
        2,
        "Harbour reopens",
        {"23": 2},
    )
    # the story's own id is not written twice
    assert orjson.loads(header)["mb"][0][0] == ""


def test_a_header_written_with_hex_members_still_reads() -> None:
    """Headers written before "mb" list their members under "m", leads in hex."""
    old = orjson.loads(pack_header(_story(MEMBERS)))
    old["m"] = [[m.article_id, m.outlet, m.packed_lead.hex()] for m in MEMBERS]
    del old["mb"]
    back = unpack_state(7, 3, orjson.dumps(old), b"", b"", b"")
    assert list(back.members) == list(MEMBERS)
