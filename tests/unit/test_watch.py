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


def test_right_to_left_titles_are_isolated() -> None:
    message = example("processed.v1")
    message["title"], message["tags"] = "خبر عاجل", dict(message["tags"], language="ar")
    assert "\u2066خبر عاجل\u2069" in format_line(message)


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
