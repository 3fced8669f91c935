"""The replay server's held-back feeds: nothing before release, then all or N a second."""

import pytest

from services.replay_server import Outlet, Release, ReplaySite, Story, StorySet

STORIES = StorySet(
    (Outlet("a", "A", "en"), Outlet("b", "B", "en")),
    tuple(
        Story(
            outlet="a" if n % 2 else "b",
            slug=f"s{n}",
            title=f"Story {n}",
            published="2026-11-29T08:00:00Z",
            paragraphs=("x",),
        )
        for n in range(6)
    ),
)

# (name, release, seconds after release, stories out)
COUNTS = [
    ("held-back", Release(), 5.0, 0),
    ("all-at-once", Release(per_s=None, started_at=0.0), 0.0, 6),
    ("two-a-second-first-at-once", Release(per_s=2.0, started_at=0.0), 0.0, 1),
    ("two-a-second-after-1.5s", Release(per_s=2.0, started_at=0.0), 1.5, 4),
    ("never-more-than-there-are", Release(per_s=2.0, started_at=0.0), 60.0, 6),
]


@pytest.mark.parametrize(
    ("release", "now", "out"), [c[1:] for c in COUNTS], ids=[c[0] for c in COUNTS]
)
def test_release_count(release: Release, now: float, out: int) -> None:
    assert release.count(now, 6) == out


def test_a_held_back_site_shows_released_stories_only_in_its_feeds() -> None:
    site = ReplaySite(STORIES, "http://127.0.0.1:1", Release(window=2))
    before = site.body_of("/feeds/a.xml")
    assert before is not None and b"<item>" not in before[1]
    site.start_release(per_s=None)
    after = site.body_of("/feeds/a.xml")
    assert after is not None and after[1].count(b"<item>") == 2  # the window of 3 released
    assert site.body_of("/a/s1.html") is not None  # pages are there all along
