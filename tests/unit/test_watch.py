from typing import Any

import pytest

from newsflow.watch import WatchFilter, format_line, parse_tag, since_ms
from schemas.contracts import example


def test_original_line_shows_time_language_outlet_title_and_id() -> None:
    line = format_line(example("processed.v1"))
    assert line == "07:41:03 [en] Example News · Harbour reopens after the storm  [MA]  (3f0c2a9b)"


def test_duplicate_is_indented_under_its_story_with_the_relation() -> None:
    message = example("processed.v1")
    message["dedupe"] = dict(
        message["dedupe"], relation="exact_duplicate", duplicate_of="ab" * 16, cross_outlet=True
    )
    line = format_line(message)
    assert line.startswith("    ↳ exact_duplicate of abababab (another outlet")


def test_right_to_left_titles_are_isolated_as_right_to_left() -> None:
    # RLI, not LRI: in a left-to-right isolate the leading "3" would be shown at the end.
    message = example("processed.v1")
    message["title"], message["tags"] = "3 قتلى في الميناء", dict(message["tags"], language="ar")
    assert "\u20673 قتلى في الميناء\u2069" in format_line(message)


def test_filters() -> None:
    message = example("processed.v1")
    assert WatchFilter().accepts(message)
    assert WatchFilter(language="en", relation="original", outlet="Example News").accepts(message)
    assert not WatchFilter(language="ar").accepts(message)
    assert not WatchFilter(relation="exact_duplicate").accepts(message)
    assert WatchFilter(tag=("language", "en")).accepts(message)
    assert not WatchFilter(tag=("language", "ar")).accepts(message)
    with pytest.raises(ValueError):
        parse_tag("places")


ENTITY = {"name": "NATO", "kind": "organization", "mentions": 1, "evidence": []}
# (name, tag typed, matches the example article with a NATO mention added?)
STRUCTURED = [
    ("place-by-code", "place=MA", True),
    ("place-by-name-any-case", "place=morocco", True),
    ("places-plural", "places=MA", True),
    ("place-absent", "place=UA", False),
    ("entity", "entity=NATO", True),
    ("org-alias", "org=nato", True),
    ("keyword", "keyword=ferries", True),
    ("feed-tag", "feed_tag=section:world", True),
    ("script", "script=Latn", True),
    ("topic-absent", "topic=sport", False),
]


@pytest.mark.parametrize(
    ("typed", "matches"), [c[1:] for c in STRUCTURED], ids=[c[0] for c in STRUCTURED]
)
def test_structured_tag_filters(typed: str, matches: bool) -> None:
    message = example("processed.v1")
    message["tags"]["entities"] = [ENTITY]
    assert WatchFilter(tag=parse_tag(typed)).accepts(message) is matches


def test_line_summarises_countries_and_names() -> None:
    message = example("processed.v1")
    message["tags"]["entities"] = [ENTITY]
    assert "  [MA · NATO]  " in format_line(message)


NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("text", "expected_ms"),
    [
        ("15m", (NOW - 900) * 1000),
        ("2h", (NOW - 7200) * 1000),
        ("1d", (NOW - 86400) * 1000),
        ("2026-11-29T07:41:03Z", 1_795_938_063_000),
        ("2026-11-29T08:41:03+01:00", 1_795_938_063_000),
    ],
    ids=["minutes", "hours", "days", "utc", "offset"],
)
def test_since(text: str, expected_ms: float) -> None:
    assert since_ms(text, NOW) == int(expected_ms)


@pytest.mark.parametrize("bad", ["yesterday", "2026-11-29T07:41:03", "15x"])
def test_since_refuses_what_it_cannot_place_in_time(bad: str) -> None:
    with pytest.raises(ValueError):
        since_ms(bad, NOW)


STORY = "ab" * 16
# (name, story role, dedupe relation, the story's outlets, the line's start)
JOINED = [
    (
        "rewrite",
        "rewrite",
        "original",
        3,
        "    ↳ rewrite in story abababab (score 0.82; 4 articles, 3 outlets): 07:41:03 [en] ",
    ),
    (
        "part-of-one-outlet",
        "part",
        "original",
        1,
        "    ↳ part in story abababab (score 0.82; 4 articles, 1 outlet): 07:41:03 [en] ",
    ),
    (
        "copy-shows-the-dedupe-verdict-and-the-story",
        "copy",
        "exact_duplicate",
        3,
        "    ↳ exact_duplicate of cdcdcdcd (another outlet, score 1.00)"
        " · copy in story abababab (4 articles, 3 outlets): 07:41:03 [en] ",
    ),
]


def _joined(role: str, relation: str, outlets: int = 3) -> dict[str, Any]:
    message = example("processed.v1")
    message["story"] = dict(
        message["story"], story_id=STORY, role=role, score=0.8234, size=4, outlets=outlets
    )
    if relation != "original":
        message["dedupe"] = dict(
            message["dedupe"],
            relation=relation,
            duplicate_of="cd" * 16,
            score=1.0,
            cross_outlet=True,
        )
    return message


@pytest.mark.parametrize(
    ("role", "relation", "outlets", "start"), [c[1:] for c in JOINED], ids=[c[0] for c in JOINED]
)
def test_an_article_that_joined_a_story_is_indented_under_it(
    role: str, relation: str, outlets: int, start: str
) -> None:
    line = format_line(_joined(role, relation, outlets))
    assert line.startswith(start)
    assert line.endswith("  (3f0c2a9b)")


@pytest.mark.parametrize(
    "story",
    [{"role": "first", "size": 1}, None],
    ids=["opened-its-story", "record-older-than-stories"],
)
def test_an_original_that_joined_no_story_stands_on_its_own_line(
    story: dict[str, Any] | None,
) -> None:
    message = example("processed.v1")
    if story is None:
        del message["story"]
    else:
        message["story"] = dict(message["story"], **story)
    assert format_line(message) == (
        "07:41:03 [en] Example News · Harbour reopens after the storm  [MA]  (3f0c2a9b)"
    )


def _older_than_stories() -> dict[str, Any]:
    message = example("processed.v1")
    del message["story"]
    return message


# (name, filter, accepts a rewrite of size 4 in story abab..., accepts a record without story)
STORY_FILTERS = [
    ("whole-id", WatchFilter(story=STORY), True, False),
    ("short-id-as-shown", WatchFilter(story="abababab"), True, False),
    ("id-any-case", WatchFilter(story="ABABABAB"), True, False),
    ("another-story", WatchFilter(story="cdcdcdcd"), False, False),
    ("size-reached", WatchFilter(min_story_size=4), True, False),
    ("size-not-reached", WatchFilter(min_story_size=5), False, False),
    ("size-one-is-everything", WatchFilter(min_story_size=1), True, True),
]


@pytest.mark.parametrize(
    ("wanted", "joined", "older"),
    [c[1:] for c in STORY_FILTERS],
    ids=[c[0] for c in STORY_FILTERS],
)
def test_story_filters(wanted: WatchFilter, joined: bool, older: bool) -> None:
    assert wanted.accepts(_joined("rewrite", "original")) is joined
    assert wanted.accepts(_older_than_stories()) is older


def test_the_story_filter_keeps_the_article_that_opened_it() -> None:
    message = example("processed.v1")
    assert WatchFilter(story=message["article_id"][:8]).accepts(message)
