"""`newsflow stories`: the live stories, biggest first, two lines a story."""

from dataclasses import replace

import pytest

from newsflow.stories_command import shown_stories, story_json, story_lines
from workers.story.state import StoryState

AT = 1_795_938_000.0  # 2026-11-29T07:40:00Z


def _story(n: int, size: int, **changes: object) -> StoryState:
    story = StoryState(
        seq=n,
        story_id=f"{n:x}" * 32,
        version=size,
        size=size,
        outlets=tuple(f"Outlet {i}" for i in range(min(size, 3))),
        first_seen=AT,
        last_growth=AT + 3600 * n,
        title=f"Story {n}",
        body={},
        lead={},
        title_terms={},
        numbers={},
        places={},
        members=(),
    )
    return replace(story, **changes)  # type: ignore[arg-type]


LIVE = [_story(1, 1), _story(2, 4), _story(3, 2), _story(4, 4), _story(5, 1)]


@pytest.mark.parametrize(
    ("min_size", "limit", "ids"),
    [
        (2, 20, [4, 2, 3]),
        (1, 20, [4, 2, 3, 5, 1]),
        (2, 2, [4, 2]),
        (5, 20, []),
        (2, 0, []),
    ],
    ids=["default", "every-story", "limited", "none-that-big", "limit-zero"],
)
def test_biggest_first_ties_by_latest_growth(min_size: int, limit: int, ids: list[int]) -> None:
    assert [s.seq for s in shown_stories(LIVE, min_size, limit)] == ids


def test_two_lines_a_story_under_a_header_that_counts_them() -> None:
    story = _story(
        2,
        4,
        outlets=("Example News", "Coastal Wire", "Le Courrier du Port"),
        title="Harbour reopens after the storm",
        places={"MA": 3, "ES": 2, "FR": 1},
    )
    lines = story_lines([story, _story(1, 1)], min_size=2, limit=20)
    assert lines == [
        "1 of 1 live stories of 2 articles or more (2 live in all), biggest first",
        " size outlets  first (UTC)  last growth  title",
        "    4       3  11-29 07:40  11-29 09:40  Harbour reopens after the storm  [MA ES]",
        "               " + "2" * 32 + " · Example News, Coastal Wire, Le Courrier du Port",
    ]


def test_no_story_big_enough_says_so() -> None:
    assert story_lines([_story(1, 1)], min_size=2, limit=20) == [
        "no live story of 2 articles or more (1 live in all)"
    ]


# (name, title, shown as)
TITLES = [
    ("left-to-right-as-is", "Harbour reopens", "Harbour reopens"),
    ("right-to-left-isolated", "3 قتلى في الميناء", "\u20673 قتلى في الميناء\u2069"),
    ("whitespace-folded", "Harbour\n  reopens", "Harbour reopens"),
    ("long-cut", "word " * 40, ("word " * 18)[:89] + "…"),
]


@pytest.mark.parametrize(("title", "shown"), [c[1:] for c in TITLES], ids=[c[0] for c in TITLES])
def test_titles(title: str, shown: str) -> None:
    line = story_lines([_story(2, 2, title=title)], min_size=2, limit=1)[2]
    assert line.endswith(f"  {shown}")


def test_many_outlets_are_counted_and_six_named() -> None:
    outlets = tuple(f"Outlet {i}" for i in range(9))
    _, _, counts, names = story_lines([_story(2, 9, outlets=outlets)], min_size=2, limit=1)
    assert counts.startswith("    9       9  ")
    assert names.endswith(
        " · Outlet 0, Outlet 1, Outlet 2, Outlet 3, Outlet 4, Outlet 5 and 3 more"
    )


def test_right_to_left_outlet_names_are_isolated() -> None:
    story = _story(2, 2, outlets=("صحيفة المرسى", "Coastal Wire"))
    names = story_lines([story], min_size=2, limit=1)[3]
    assert names.endswith(" · \u2067صحيفة المرسى\u2069, Coastal Wire")


def test_json_has_the_whole_story() -> None:
    story = _story(2, 4, places={"MA": 1, "ES": 3}, numbers={"12": 2})
    assert story_json(story) == {
        "story_id": "2" * 32,
        "size": 4,
        "outlet_count": 3,
        "outlets": ["Outlet 0", "Outlet 1", "Outlet 2"],
        "first_seen": "2026-11-29T07:40:00.000Z",
        "last_growth": "2026-11-29T09:40:00.000Z",
        "title": "Story 2",
        "places": {"ES": 3, "MA": 1},
        "numbers": {"12": 2},
    }
