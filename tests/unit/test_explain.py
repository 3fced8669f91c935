import copy

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
