import copy
import json
from typing import Any

import pytest

from newsroom.pages import (
    FeedRow,
    error_page,
    event_data,
    event_item,
    feeds_page,
    story_card,
    story_page,
    stream_page,
)
from newsroom.story_detail import DiffLine, OriginalParagraph, original_order, paragraph_diff
from newsroom.stream import ChangeLog, StoryWindow, StreamFilter, article_of
from schemas.contracts import example


def processed(article_id: str, story_id: str | None = None, **changes: Any) -> dict[str, Any]:
    message = copy.deepcopy(example("processed.v1"))
    message["article_id"] = article_id
    message["story"]["story_id"] = story_id or article_id
    message["story"]["role"] = "first" if story_id in (None, article_id) else "rewrite"
    for key, value in changes.items():
        message[key] = value
    return message


def test_an_article_is_in_its_story_or_else_its_cluster_or_else_alone() -> None:
    with_story = processed("a1", "s1")
    before_stories = processed("a2")
    del before_stories["story"]
    before_stories["dedupe"]["cluster_id"] = "c9"
    alone = {"article_id": "a3", "title": "t", "tags": None, "dedupe": None}
    assert article_of(with_story).story_id == "s1"
    assert article_of(before_stories).story_id == "c9"
    assert article_of(before_stories).role == "first"  # an original opens its cluster
    lone = article_of(alone)
    assert (lone.story_id, lone.relation, lone.role, lone.direction) == (
        "a3",
        "original",
        "first",
        "auto",
    )
    assert not StreamFilter(place="EG").accepts(lone)


def test_a_record_with_no_time_stays_after_the_first_and_the_span_is_unknown() -> None:
    window = StoryWindow()
    window.add(processed("s1"))
    untimed = processed("b1", "s1")
    del untimed["processed_at"]
    story = window.add(untimed)
    assert [a.article_id for a in story.articles] == ["s1", "b1"] and story.minutes is None
    assert "minute" not in story_card(story)


def test_the_heavy_fields_are_not_kept() -> None:
    plain = article_of(processed("a1"))
    assert "body" not in plain.record and "page_paragraphs" not in plain.record
    assert plain.record["paragraphs"]


def test_later_articles_fold_under_the_first_and_the_story_moves_to_the_front() -> None:
    window = StoryWindow(capacity=10)
    window.add(processed("s1"))
    window.add(processed("s2"))
    story = window.add(processed("b1", "s1", outlet="Other Outlet"))
    assert [s.story_id for s in window.newest(StreamFilter(), 10)] == ["s1", "s2"]
    assert [a.article_id for a in story.articles] == ["s1", "b1"]
    assert (
        story.outlets == ["Example News", "Other Outlet"] and story.version == 3
    )  # the third change in the window


def test_one_outlet_with_several_articles_counts_no_other_outlet() -> None:
    window = StoryWindow()
    window.add(processed("s1"))
    card = story_card(window.add(processed("b1", "s1")))
    assert "outlet" not in card.split('class="spread"')[1].split("</p>")[0]
    assert "1 more article" in card


def test_a_story_never_changes_once_made() -> None:
    window = StoryWindow()
    before = window.add(processed("s1"))
    after = window.add(processed("b1", "s1"))
    assert len(before.articles) == 1 and before.version == 1
    assert len(after.articles) == 2 and after.version == 2


def test_a_story_that_left_the_window_and_came_back_has_a_higher_version() -> None:
    window = StoryWindow(capacity=1)
    first = window.add(processed("s1"))
    window.add(processed("s2"))  # s1 leaves
    again = window.add(processed("s1"))
    assert again.version > first.version  # the page does not keep the card it had


def test_a_redelivered_record_replaces_its_copy() -> None:
    window = StoryWindow()
    window.add(processed("s1"))
    story = window.add(processed("s1"))
    assert len(story.articles) == 1 and len(window) == 1


def test_the_oldest_story_leaves_a_full_window_with_its_articles() -> None:
    window = StoryWindow(capacity=2)
    for story_id in ("s1", "s2", "s3"):
        window.add(processed(story_id))
    assert window.story("s1") is None and window.article("s1") is None
    assert window.article("s3") is not None and len(window) == 2


def test_the_newest_are_limited_and_filtered() -> None:
    window = StoryWindow()
    for n in range(5):
        window.add(processed(f"s{n}", outlet="Wire" if n % 2 else "Daily"))
    wire = window.newest(StreamFilter(outlet="wire"), 10)
    assert [s.story_id for s in wire] == ["s3", "s1"]
    assert [s.story_id for s in window.newest(StreamFilter(), 2)] == ["s4", "s3"]


PLACE = {
    "id": "geonames:360630",
    "kind": "city",
    "name": "Cairo",
    "country": "EG",
    "mentions": 1,
    "evidence": [],
}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, True),
        ({"language": "EN"}, True),
        ({"language": "ar"}, False),
        ({"place": "EG"}, True),
        ({"place": "cairo"}, True),
        ({"place": "geonames:360630"}, True),
        ({"place": "UA"}, False),
        ({"topic": "economy"}, True),
        ({"topic": "sport"}, False),
        ({"watch": "OPEC"}, True),
        ({"outlet": "example news"}, True),
        ({"relation": "original"}, True),
        ({"relation": "first"}, True),  # a role in the story
        ({"relation": "near_duplicate"}, False),
        ({"language": "en", "topic": "sport"}, False),  # every field set must match
        ({"unknown": "x", "language": " "}, True),  # unknown and empty fields are ignored
    ],
)
def test_a_filter_matches_every_field_it_sets(query: dict[str, str], shown: bool) -> None:
    message = processed("a1")
    message["tags"]["places"] = [PLACE]
    message["tags"]["topics"] = [{"id": "economy", "evidence": []}]
    message["tags"]["entities"] = [{"name": "OPEC", "kind": "org", "mentions": 1, "evidence": []}]
    window = StoryWindow()
    story = window.add(message)
    assert StreamFilter.from_query(query).shows(story) is shown


def test_a_story_is_shown_when_one_of_its_articles_matches() -> None:
    window = StoryWindow()
    window.add(processed("s1"))
    later = processed("b1", "s1")
    later["tags"]["language"] = "ar"
    story = window.add(later)
    assert StreamFilter(language="ar").shows(story)


def test_a_filter_is_kept_in_the_address() -> None:
    wanted = StreamFilter.from_query({"language": "ar", "place": "Cairo", "page": "2"})
    assert wanted.query() == "language=ar&place=Cairo"
    assert (
        StreamFilter.from_query(dict(pair.split("=") for pair in wanted.query().split("&")))
        == wanted
    )
    assert not StreamFilter().active and wanted.active


@pytest.mark.parametrize(
    ("earlier", "later", "expected"),
    [
        (["a", "b"], ["a", "b"], [("same", "a"), ("same", "b")]),
        (["a", "b"], ["a", "b", "c"], [("same", "a"), ("same", "b"), ("added", "c")]),
        (["a", "b", "c"], ["a", "c"], [("same", "a"), ("removed", "b"), ("same", "c")]),
        (["a", "old"], ["a", "new"], [("same", "a"), ("removed", "old"), ("added", "new")]),
        ([], ["a"], [("added", "a")]),
    ],
)
def test_an_update_is_compared_paragraph_by_paragraph(
    earlier: list[str], later: list[str], expected: list[tuple[str, str]]
) -> None:
    assert paragraph_diff(earlier, later) == [DiffLine(c, t) for c, t in expected]


def _repaired(paragraphs: list[str], repeats: list[dict[str, Any]], count: int) -> dict[str, Any]:
    return {
        "paragraphs": paragraphs,
        "internal_duplication": {
            "detected": True,
            "repeats": repeats,
            "original_paragraph_count": count,
        },
    }


def test_a_repaired_body_is_shown_in_its_original_order() -> None:
    record = _repaired(
        ["one", "two", "three"],
        [
            {"index": 2, "first_index": 0, "similarity": 1.0},
            {"index": 4, "first_index": 1, "similarity": 0.9},
        ],
        5,
    )
    assert original_order(record) == [
        OriginalParagraph(0, "one"),
        OriginalParagraph(1, "two"),
        OriginalParagraph(2, "one", repeat_of=0),
        OriginalParagraph(3, "three"),
        OriginalParagraph(4, "two", repeat_of=1, similarity=0.9),
    ]


@pytest.mark.parametrize(
    "record",
    [
        {"paragraphs": ["one"], "internal_duplication": {"detected": False, "repeats": []}},
        _repaired(
            ["one", "two"], [{"index": 1, "first_index": 0, "similarity": 1.0}], 5
        ),  # counts disagree
        {"paragraphs": ["one"]},
    ],
)
def test_no_original_order_without_a_repair_that_adds_up(record: dict[str, Any]) -> None:
    assert original_order(record) == []


def test_text_from_feeds_is_escaped_and_takes_its_own_direction() -> None:
    window = StoryWindow()
    message = processed("a1", title="<script>alert(1)</script>", outlet="<b>Outlet</b>")
    card = story_card(window.add(message))
    assert "<script>" not in card and "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;b&gt;Outlet&lt;/b&gt;" in card
    assert 'dir="auto"' in card
    page = stream_page(window, StreamFilter(), "b00t-0")
    assert "<script>alert" not in page and '<script src="/static/newsroom.js" defer>' in page


def test_a_folded_story_says_how_far_it_spread() -> None:
    window = StoryWindow()
    first = processed("s1", processed_at="2026-11-29T07:41:03Z")
    window.add(first)
    card = story_card(
        window.add(processed("b1", "s1", outlet="Other", processed_at="2026-11-29T07:53:10Z"))
    )
    assert "+1 outlet in 12 minutes" in card and 'data-article="b1"' in card


def test_the_stream_page_keeps_the_filter_in_its_form_and_events_address() -> None:
    window = StoryWindow()
    window.add(processed("s1"))
    page = stream_page(window, StreamFilter(language="en", place="Cairo"), "b00t-7")
    assert 'data-events="/events?language=en&amp;place=Cairo&amp;since=b00t-7"' in page
    assert '<option value="en" selected>' in page and 'name="place" value="Cairo"' in page


def test_an_event_carries_the_cards_as_json() -> None:
    window = StoryWindow()
    story = window.add(processed("s1", title='quote " and <tag>'))
    data = json.loads(event_data([event_item(story)], held=1))
    [item] = data["stories"]
    assert data["held"] == 1
    assert item["id"] == "s1" and item["version"] == 1 and "&lt;tag&gt;" in item["html"]


def test_the_story_page_explains_each_article_and_shows_an_update_against_its_version() -> None:
    window = StoryWindow()
    earlier = processed("s1", paragraphs=["Ferries run.", "Storm over."])
    window.add(earlier)
    update = processed("u1", "s1", paragraphs=["Ferries run.", "Storm over, port open."])
    update["dedupe"] = {**update["dedupe"], "relation": "update", "duplicate_of": "s1"}
    story = window.add(update)
    asked: list[tuple[str, str | None]] = []

    def explain(article: Any, matched: Any) -> list[str]:
        asked.append((article["article_id"], matched["article_id"] if matched else None))
        return [f"verdict {article['dedupe']['relation']} <{article['article_id']}>"]

    page = story_page(story, window, explain)
    assert asked == [("s1", None), ("u1", "s1")]
    assert "verdict update &lt;u1&gt;" in page
    assert '<p class="removed" dir="auto">Storm over.</p>' in page
    assert '<p class="added" dir="auto">Storm over, port open.</p>' in page


def test_the_feeds_page_shows_a_whole_error_escaped() -> None:
    error = "HTTP 500 from <upstream>\nsecond line"
    row = FeedRow("Outlet", "http://x/feed", "error", "", 3, error, "", 0, 0, "")
    page = feeds_page([row])
    assert "HTTP 500 from &lt;upstream&gt;\nsecond line" in page and 'class="feed failing"' in page


def test_an_error_page_escapes_its_message() -> None:
    assert "&lt;x&gt;" in error_page(404, "<x>")


def test_the_change_log_gives_each_story_changed_since_once_latest_last() -> None:
    log = ChangeLog(capacity=3)
    for story_id in ("a", "b", "a", "c"):
        log.add(story_id)
    assert log.since(0) == ["b", "a", "c"]
    assert log.since(2) == ["a", "c"] and log.since(4) == []
    assert log.since(9) is None  # a number from before a restart: start over
    for story_id in ("d", "e"):
        log.add(story_id)  # six changes: the first three are dropped
    assert log.since(0) is None and log.since(3) == ["c", "d", "e"]
