"""The tag rules file: parsing, every problem at once, reload on change, topic rules."""

import os
from pathlib import Path

import pytest

from schemas.messages import Evidence
from workers.tag.rules_file import RulesFile, RulesFileError, Topic, parse_rules
from workers.tag.tagger import topic_evidence


def test_watch_entry_keeps_its_name_among_the_aliases() -> None:
    rules = parse_rules({"watch": [{"name": "NATO", "kind": "organization", "aliases": ["OTAN"]}]})
    assert rules.watch[0].aliases == ("NATO", "OTAN")
    assert rules.watch[0].kind == "organization"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RulesFileError) as error:
        parse_rules(
            {
                "watch": [{"aliases": "Putin"}, {"name": "X", "colour": "red"}],
                "topic": [{"id": "a"}, {"id": "b", "any": {"en": ["x"]}, "min_hits": 0}],
                "extra": 1,
            }
        )
    problems = "\n".join(error.value.problems)
    for expected in (
        "unknown top-level keys ['extra']",
        "watch #1: name is missing",
        "watch #1: aliases must be a list",
        "watch #2: unknown keys ['colour']",
        "topic 'a': needs phrases in `any` or `all`",
        "topic 'b'.min_hits: must be a whole number >= 1",
    ):
        assert expected in problems
    assert len(error.value.problems) == 6


def test_topic_ids_must_be_unique() -> None:
    with pytest.raises(RulesFileError, match="used twice"):
        parse_rules({"topic": [{"id": "a", "any": {"*": ["x"]}}] * 2})


def _evidence(text: str) -> Evidence:
    return {"text": text, "field": "body", "paragraph": 0, "matched_as": "phrase"}


SPORT = Topic(
    id="sport",
    any={"en": ("football", "league"), "ar": ("كرة القدم",), "*": ("FIFA",)},
    none={"en": ("video game",)},
)
UKRAINE = Topic(id="ukraine", all={"*": ("war",)}, places=frozenset({"UA"}))
TWO_HITS = Topic(id="markets", any={"en": ("shares", "bonds", "index")}, min_hits=2)

# (name, topic, article language, phrases found, countries tagged, tagged?)
TOPIC_CASES = [
    ("any-phrase-in-its-language", SPORT, "en", {"football"}, set(), True),
    ("phrase-of-another-language-ignored", SPORT, "fr", {"football"}, set(), False),
    ("star-phrase-in-every-language", SPORT, "de", {"fifa"}, set(), True),
    ("arabic-phrase", SPORT, "ar", {"كرة القدم"}, set(), True),
    ("none-phrase-vetoes", SPORT, "en", {"football", "video game"}, set(), False),
    ("all-and-place", UKRAINE, "en", {"war"}, {"UA"}, True),
    ("all-without-place", UKRAINE, "en", {"war"}, {"RU"}, False),
    ("all-missing", UKRAINE, "en", set(), {"UA"}, False),
    ("min-hits-met", TWO_HITS, "en", {"shares", "bonds"}, set(), True),
    ("min-hits-not-met", TWO_HITS, "en", {"shares"}, set(), False),
    ("no-language-uses-star-only", SPORT, None, {"football"}, set(), False),
]


@pytest.mark.parametrize(
    ("topic", "language", "found", "countries", "tagged"),
    [c[1:] for c in TOPIC_CASES],
    ids=[c[0] for c in TOPIC_CASES],
)
def test_topic_rules(
    topic: Topic, language: str | None, found: set[str], countries: set[str], tagged: bool
) -> None:
    matched = {phrase: [_evidence(phrase)] for phrase in found}
    evidence = topic_evidence(topic, language, matched, countries)
    assert (evidence is not None) is tagged
    if evidence is not None:
        assert {e["text"] for e in evidence} <= found


def _write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_rules_file_reloads_on_change_and_keeps_the_last_good_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    _write(path, '[[watch]]\nname = "A"\n', 1_000_000_000)
    rules_file = RulesFile(path)
    assert [w.name for w in rules_file.current(now=0.0).watch] == ["A"]

    _write(path, '[[watch]]\nname = "B"\n', 2_000_000_000)
    assert [w.name for w in rules_file.current(now=0.1).watch] == ["A"]  # not checked yet
    assert [w.name for w in rules_file.current(now=10.0).watch] == ["B"]
    assert rules_file.version == 2

    _write(path, "[[watch]\nbroken", 3_000_000_000)
    assert [w.name for w in rules_file.current(now=20.0).watch] == ["B"]
    assert rules_file.version == 2


def test_a_broken_rules_file_at_start_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("[[topic]]\nid = 3\n", encoding="utf-8")
    with pytest.raises(RulesFileError, match="id is missing"):
        RulesFile(path)


def test_the_bundled_rules_file_is_valid() -> None:
    rules = RulesFile(Path(__file__).parents[2] / "config" / "tag-rules.toml").rules
    assert {"Vladimir Putin", "Joe Biden", "NATO"} <= {w.name for w in rules.watch}


def test_masks_are_read_and_a_wrong_one_is_named() -> None:
    rules = parse_rules({"mask": [{"kind": "club", "phrases": ["Real Madrid"]}]})
    assert [(m.kind, m.phrases) for m in rules.masks] == [("club", ("Real Madrid",))]
    with pytest.raises(RulesFileError) as error:
        parse_rules({"mask": [{"kind": "team", "phrases": []}, {"kind": "club", "x": 1}]})
    assert error.value.problems == [
        "mask #1.kind: one of club, organisation, word",
        "mask #1.phrases: must be a non-empty list of non-empty strings",
        "mask #2.phrases: must be a non-empty list of non-empty strings",
        "mask #2: unknown keys ['x']",
    ]


def test_the_bundled_rules_file_parses_with_its_masks(repo_root: Path) -> None:
    rules = RulesFile(repo_root / "config" / "tag-rules.toml").rules
    assert {m.kind for m in rules.masks} == {"club", "organisation", "word"}
