from pathlib import Path

import pytest

from ingest.feeds import FeedConfig, feeds_toml, merge_feeds, parse_feeds
from ingest.opml import OpmlError, feeds_from_opml, opml_from_feeds
from newsflow.feeds_command import import_opml, list_lines

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="News">
    <outline type="rss" text="Gazette" xmlUrl="https://gazette.example/rss.xml"/>
    <outline type="rss" title="Wire" text="wire" xmlUrl="https://wire.example/feed" language="ar"/>
  </outline>
  <outline text="no feed here" htmlUrl="https://example.org/"/>
  <outline text="ftp is not fetched" xmlUrl="ftp://example.org/feed"/>
</body></opml>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://x.example/"/></body></opml>"""


def test_opml_outlines_become_feeds_at_any_depth() -> None:
    feeds = feeds_from_opml(OPML)
    assert [(f.outlet, f.url, f.language) for f in feeds] == [
        ("Gazette", "https://gazette.example/rss.xml", None),
        ("Wire", "https://wire.example/feed", "ar"),
    ]


def test_entity_expansion_is_refused() -> None:
    with pytest.raises(OpmlError):
        feeds_from_opml(BOMB)


def test_export_then_import_round_trips() -> None:
    feeds = [
        FeedConfig("https://a.example/rss", "A", "en"),
        FeedConfig("https://b.example/rss", "B"),
    ]
    assert feeds_from_opml(opml_from_feeds(feeds)) == feeds


def test_feeds_file_round_trips_through_toml() -> None:
    feeds = [
        FeedConfig("https://a.example/rss", "A", "fr", ("region:west",)),
        FeedConfig("https://b.example/rss", "B"),
    ]
    assert parse_feeds(feeds_toml(feeds), Path("feeds.toml")) == feeds


def test_merge_skips_feeds_already_there_by_canonical_url() -> None:
    existing = [FeedConfig("https://A.example/rss#top", "A")]
    merged, added = merge_feeds(
        existing,
        [FeedConfig("https://a.example/rss", "A again"), FeedConfig("https://c.example/rss", "C")],
    )
    assert added == 1 and [f.outlet for f in merged] == ["A", "C"]


def test_import_into_the_feeds_file(tmp_path: Path) -> None:
    feeds_file, opml = tmp_path / "feeds.toml", tmp_path / "mine.opml"
    opml.write_bytes(OPML)
    assert import_opml(feeds_file, opml).startswith("2 feeds added")
    assert import_opml(feeds_file, opml).startswith("0 feeds added")
    assert list_lines(feeds_file)[0] == f"2 feeds in {feeds_file}"
