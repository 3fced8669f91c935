import copy
from typing import Any

import pytest

from newsflow.explain import explain, shared_paragraphs
from schemas.contracts import example


def test_shared_paragraphs_match_after_normalization() -> None:
    mine = ["The Port REOPENS today.", "A new line.", "Ferries run."]
    theirs = ["Ferries run!", "the port reopens today"]
    assert shared_paragraphs(mine, theirs) == [(0, 1), (2, 0)]


def test_original_says_no_match_and_no_repeats() -> None:
    lines = explain(example("processed.v1"), None)
    assert lines[3].startswith("verdict   original")
    assert "repeats   none: the body does not repeat itself" in lines


def test_every_tag_is_shown_with_its_evidence() -> None:
    message = example("processed.v1")
    message["tags"]["entities"] = [
        {
            "name": "NATO",
            "kind": "organization",
            "mentions": 2,
            "evidence": [
                {"text": "NATO", "field": "title", "paragraph": 0, "matched_as": "alias"},
                {"text": "OTAN", "field": "body", "paragraph": 1, "matched_as": "alias"},
            ],
        }
    ]
    lines = explain(message, None)
    assert 'place     MA Morocco: "Morocco" (name, ¶2)' in lines
    assert 'name      NATO (organization) ×2: "NATO" (alias, title), "OTAN" (alias, ¶2)' in lines
    assert lines[-1] == "keywords  harbour, reopens, storm, closure, ferries"


def test_duplicate_shows_the_match_and_the_shared_paragraphs() -> None:
    first = example("processed.v1")
    copy_of = copy.deepcopy(first)
    copy_of["article_id"], copy_of["outlet"] = "b" * 32, "Coastal Wire"
    copy_of["dedupe"] = dict(
        first["dedupe"],
        relation="exact_duplicate",
        duplicate_of=first["article_id"],
        score=1.0,
        containment=1.0,
        cross_outlet=True,
        method="content_hash",
    )
    text = "\n".join(explain(copy_of, first))
    assert "matched   3f0c2a9b8e7d6c5b4a39281706f5e4d3  by content_hash, score 1.00" in text
    assert "another outlet" in text
    assert "shared    2 of 2 paragraphs word for word (the match has 2)" in text


def test_internal_repeats_are_listed() -> None:
    message = example("processed.v1")
    message["internal_duplication"] = {
        "detected": True,
        "pattern": "whole_body_repeat",
        "found_in": "body",
        "repeats": [{"index": 2, "first_index": 1, "similarity": 1.0}],
        "repeated_share": 0.3,
        "original_paragraph_count": 3,
    }
    text = "\n".join(explain(message, None))
    assert "whole_body_repeat in the body: 1 repeated paragraphs, 30% of the text" in text
    assert "¶3 repeats ¶2 (1.00)" in text


def _with_story(**story: object) -> dict[str, Any]:
    message = example("processed.v1")
    message["story"] = dict(message["story"], **story)
    return message


def _story_part(lines: list[str]) -> list[str]:
    """The story's lines: from `story` to the line before `repeats`."""
    start = next(i for i, line in enumerate(lines) if line.startswith("story "))
    end = next(i for i, line in enumerate(lines) if line.startswith("repeats "))
    return lines[start:end]


REWRITE = {
    "story_id": "ab" * 16,
    "role": "rewrite",
    "score": 0.8234,
    "size": 4,
    "outlets": 3,
    "matched": [
        {"article_id": "ab" * 16, "outlet": "Coastal Wire", "lead_similarity": 0.712},
        {"article_id": "cd" * 16, "outlet": "Le Courrier du Port", "lead_similarity": 0.5},
    ],
    "evidence": {
        "shared_words": ["harbour", "storm", "ferries"],
        "shared_numbers": ["12"],
        "shared_places": ["MA"],
        "title_overlap": 0.55,
        "signals": {"body": 0.612, "lead": 0.712, "title": 0.55, "numbers": 1, "hours": 0.5},
    },
}


def test_a_rewrite_shows_its_story_the_closest_members_and_what_they_share() -> None:
    assert _story_part(explain(_with_story(**REWRITE), None)) == [
        f"story     {'ab' * 16}  rewrite, score 0.82: the same news item in other words",
        "size      4 articles from 3 outlets when it was processed"
        " (its size now: `newsflow stories`)",
        f"closest   {'ab' * 16}  Coastal Wire, lead similarity 0.71",
        f"          {'cd' * 16}  Le Courrier du Port, lead similarity 0.50",
        "shares    words: harbour, storm, ferries",
        "          numbers: 12",
        "          places: MA",
        "          title overlap 0.55",
        "signals   body 0.612, lead 0.712, title 0.55, numbers 1, hours 0.5 (the score's inputs)",
    ]


# (name, the story object's changes, what its first line says after the role)
STORY_HEADS = [
    ("nothing-near", {}, "first: opened the story; no live story came near it"),
    (
        "nearest-below-threshold",
        {"score": 0.42},
        "first: opened the story; the nearest live story scored 0.42,"
        " below the link threshold 0.70",
    ),
    (
        "no-text",
        {"reason": "no_text"},
        "first: a story of its own, not compared: the article has no text",
    ),
    (
        "too-short",
        {"reason": "too_short"},
        "first: a story of its own, not compared: fewer than 20 words in its body tell no"
        " story from another",
    ),
    (
        "copy-below-threshold",
        {**REWRITE, "role": "copy", "score": 0.31, "matched": [], "evidence": {}},
        "copy, score 0.31: a copy of a member (the dedupe verdict), so it joined its original's"
        " story, though it scored below the link threshold 0.70",
    ),
    (
        "part",
        {**REWRITE, "role": "part"},
        "part, score 0.82: a wire add-on, or a further article of an outlet already in the story",
    ),
]


@pytest.mark.parametrize(
    ("changes", "said"), [c[1:] for c in STORY_HEADS], ids=[c[0] for c in STORY_HEADS]
)
def test_the_story_line_says_how_the_article_got_its_story(
    changes: dict[str, object], said: str
) -> None:
    message = _with_story(**changes)
    head, size, *rest = _story_part(explain(message, None))
    assert head == f"story     {message['story']['story_id']}  {said}"
    assert size.startswith(f"size      {message['story']['size']} article")
    assert rest == [] or rest[0].startswith("closest   ")


def test_a_record_older_than_stories_still_explains() -> None:
    message = example("processed.v1")
    del message["story"]
    lines = explain(message, None)
    assert _story_part(lines) == [
        "story     none on this record (processed before articles were given stories)"
    ]
    assert lines[-1] == "keywords  harbour, reopens, storm, closure, ferries"
