"""Feed discovery from a homepage: candidates (pure) and the discover command with fakes."""

from pathlib import Path

from ingest.discovery import COMMON_PATHS, feed_candidates
from ingest.fetching import FetchFailure, FetchResponse
from newsflow.feeds_command import discover, discover_lines

HOME = b"""<html><head>
<link rel="alternate" type="application/rss+xml" title="World" href="/world/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://news.example.org/atom.xml">
<link rel="alternate" type="application/feed+json" title="JSON" href="feed.json">
<link rel="alternate" hreflang="fr" href="/fr/">
<link rel="stylesheet" type="text/css" href="/site.css">
</head><body>
<a href="/sport/feed/">Sport feed</a>
<a href="https://elsewhere.example.com/rss.xml">their feed</a>
<a href="/world/2026/story.html">a story</a>
</body></html>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>World news</title>
<language>en</language><item><title>A</title><link>https://news.example.org/a</link></item>
</channel></rss>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON news",
"items": [{"id": "1", "url": "https://news.example.org/j1", "title": "J1",
"content_text": "Text"}]}"""


def test_declared_feeds_come_first_then_linked_then_common_paths() -> None:
    candidates = feed_candidates(HOME, "https://news.example.org/")
    declared = [(c.url, c.title) for c in candidates if c.how == "declared"]
    assert declared == [
        ("https://news.example.org/world/rss.xml", "World"),
        ("https://news.example.org/atom.xml", None),
        ("https://news.example.org/feed.json", "JSON"),
    ]
    linked = [c.url for c in candidates if c.how == "linked"]
    assert linked == ["https://news.example.org/sport/feed/"]  # other sites' feeds left out
    common = [c.url for c in candidates if c.how == "common_path"]
    assert len(common) == len(COMMON_PATHS) - 2  # /atom.xml and /feed.json were declared
    assert [c.how for c in candidates][:3] == ["declared"] * 3


def test_a_page_that_is_not_html_still_gives_the_common_paths() -> None:
    candidates = feed_candidates(b"\x00\x01 not html", "https://x.example/")
    assert {c.how for c in candidates} == {"common_path"}


def _fetch(pages: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def fetch(url: str) -> FetchResponse | FetchFailure:
        if url in pages:
            return FetchResponse(200, url, {}, pages[url])
        return FetchFailure(url, "not found", "http_status", 404)

    return fetch


def test_discover_keeps_what_parses_as_a_feed_with_entries() -> None:
    fetch = _fetch(
        {
            "https://news.example.org/": HOME,
            "https://news.example.org/world/rss.xml": RSS,
            "https://news.example.org/atom.xml": b"<html>not a feed</html>",
            "https://news.example.org/feed.json": JSON_FEED,
        }
    )
    found = discover("https://news.example.org/", fetch)
    assert not isinstance(found, str)
    assert [(f.url, f.title, f.entries) for f in found] == [
        ("https://news.example.org/world/rss.xml", "World news", 1),
        ("https://news.example.org/feed.json", "JSON news", 1),
    ]


def test_discover_falls_back_to_common_paths_and_adds_to_the_feeds_file(tmp_path: Path) -> None:
    fetch = _fetch(
        {"https://blog.example.net/": b"<html></html>", "https://blog.example.net/feed": RSS}
    )
    feeds_file = tmp_path / "feeds.toml"
    lines = discover_lines(feeds_file, "https://blog.example.net/", fetch, add=True)
    assert lines[0] == "1 feeds at https://blog.example.net/"
    assert "(common_path)" in lines[1]
    assert 'url = "https://blog.example.net/feed"' in feeds_file.read_text()


def test_discover_reports_an_unreachable_page() -> None:
    assert discover("https://down.example/", _fetch({})) == (
        "https://down.example/: http_status: not found"
    )
