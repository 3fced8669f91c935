"""The replay server's held-back feeds: nothing before release, then all or N a second."""

import pytest

from services.replay_server import FeedStyle, Outlet, Release, ReplaySite, Story, StorySet

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


def _items(site: ReplaySite, target: str) -> list[str] | None:
    found = site.body_of(target)
    if found is None:
        return None
    body = found[1].decode()
    return [part.split("</title>")[0] for part in body.split("<item><title>")[1:]]


def test_a_timeline_releases_stories_at_their_times_and_feeds_page_older_ones() -> None:
    at_s = {("a", f"s{n}"): 0.0 if n < 3 else 3600.0 for n in range(6)}
    site = ReplaySite(
        STORIES,
        "http://127.0.0.1:1",
        Release(window=1, at_s=at_s),
        {"a": FeedStyle(paging="rfc5005"), "b": FeedStyle(window=2, paging="wordpress")},
    )
    site.start_release()
    assert _items(site, "/feeds/a.xml") == ["Story 1"]  # s1 out, s3 and s5 in an hour
    assert _items(site, "/feeds/a.xml?page=2") is None  # nothing older
    site.release.at_s = dict.fromkeys(at_s, 0.0) | {  # type: ignore[union-attr]
        ("b", f"s{n}"): 0.0 for n in range(0, 6, 2)
    }
    assert _items(site, "/feeds/a.xml") == ["Story 5"]
    assert b'rel="next"' in site.body_of("/feeds/a.xml")[1]  # type: ignore[index]
    assert _items(site, "/feeds/a.xml?page=2") == ["Story 3"]
    assert _items(site, "/feeds/a.xml?page=3") == ["Story 1"]
    assert b'rel="next"' not in site.body_of("/feeds/a.xml?page=3")[1]  # type: ignore[index]
    assert _items(site, "/feeds/b.xml") == ["Story 2", "Story 4"]
    assert _items(site, "/feeds/b.xml?paged=2") == ["Story 0"]
    assert _items(site, "/feeds/b.xml?paged=3") is None  # WordPress: a 404 past the end
    assert site.requests["/feeds/b.xml?paged=3"] == 1
