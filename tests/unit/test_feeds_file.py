from pathlib import Path

import pytest

from ingest.feeds import FeedsFileError, feeds_toml, load_feeds, parse_feeds

GOOD = """
[[feed]]
url = "https://example.org/rss"
outlet = "Example"
language = "en"
tags = ["region:north"]

[[feed]]
url = "https://example.org/off"
outlet = "Off"
enabled = false
"""


def test_enabled_feeds_are_loaded_with_their_options() -> None:
    feeds = parse_feeds(GOOD, Path("feeds.toml"))
    assert [f.url for f in feeds] == ["https://example.org/rss"]
    assert feeds[0].tags == ("region:north",) and feeds[0].language == "en"


def test_all_problems_of_the_file_are_reported_together() -> None:
    bad = """
[[feed]]
outlet = "No url"

[[feed]]
url = "ftp://example.org/rss"
outlet = "Wrong scheme"

[[feed]]
url = "https://example.org/rss"

[[feed]]
url = "https://example.org/ok"
outlet = "Typo"
langauge = "en"

[[feed]]
url = "https://example.org/paged"
outlet = "Paged"
page_param = "page=2&x"
"""
    with pytest.raises(FeedsFileError) as raised:
        parse_feeds(bad, Path("feeds.toml"))
    assert len(raised.value.problems) == 5
    assert "page_param is a query parameter's name" in str(raised.value)
    assert "langauge" in str(raised.value)


def test_not_toml_is_a_clear_error() -> None:
    with pytest.raises(FeedsFileError, match="not valid TOML"):
        parse_feeds("[[feed]\nurl=", Path("feeds.toml"))


def test_per_feed_options_survive_a_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feed]]\nurl = "https://a.example/rss"\noutlet = "A"\nrobots_txt = false\n'
        'min_interval_s = 120\nmax_interval_s = 7200\npage_param = "page"\n',
        encoding="utf-8",
    )
    [feed] = load_feeds(path)
    assert (feed.robots_txt, feed.min_interval_s, feed.max_interval_s) == (False, 120.0, 7200.0)
    assert feed.page_param == "page"
    path.write_text(feeds_toml([feed]), encoding="utf-8")
    assert load_feeds(path) == [feed]
