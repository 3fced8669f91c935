"""Where a feed's older pages are: RFC 5005 links, JSON Feed next_url, WordPress ?paged=."""

import pytest

from ingest.paging import next_page_url, with_page
from ingest.parse import ParsedFeed, parse_feed

FEED = "https://news.example/feed/"


def _feed(next_page: str | None = None, generator: str | None = None) -> ParsedFeed:
    return ParsedFeed("T", None, (), None, next_page=next_page, generator=generator)


CASES = [
    (
        "rfc5005-next",
        _feed("https://news.example/feed/?page=2"),
        None,
        "https://news.example/feed/?page=2",
    ),
    ("relative-link", _feed("older.xml"), None, "https://news.example/feed/older.xml"),
    ("wordpress", _feed(generator="https://wordpress.org/?v=6.4.2"), None, FEED + "?paged=2"),
    ("configured-param", _feed(), "page", FEED + "?page=2"),
    ("link-wins-over-param", _feed("/feed/p2"), "page", "https://news.example/feed/p2"),
    ("no-paging", _feed(generator="Drupal"), None, None),
    ("off-origin-link", _feed("https://elsewhere.example/feed?page=2"), None, None),
    ("other-port", _feed("https://news.example:8443/feed?page=2"), None, None),
    ("downgraded-scheme", _feed("http://news.example/feed?page=2"), None, None),
]


@pytest.mark.parametrize(
    ("parsed", "param", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_next_page(parsed: ParsedFeed, param: str | None, expected: str | None) -> None:
    assert next_page_url(parsed, FEED, FEED, 1, param) == expected


def test_page_numbers_replace_the_parameter_and_keep_the_others() -> None:
    assert with_page("https://a.example/feed?cat=3&paged=2", "paged", 3) == (
        "https://a.example/feed?cat=3&paged=3"
    )


def test_the_parsers_find_the_links_to_older_entries() -> None:
    rss = (
        b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>'
        b'<atom:link rel="self" href="/feed"/><atom:link rel="prev-archive" href="/archive/41"/>'
        b"<generator>https://wordpress.org/?v=6.4</generator>"
        b"<item><title>a</title><guid>a</guid></item></channel></rss>"
    )
    parsed = parse_feed(rss, {"content-type": "application/rss+xml"}, FEED)
    assert isinstance(parsed, ParsedFeed)
    assert parsed.next_page == "https://news.example/archive/41"
    assert parsed.generator is not None and "wordpress" in parsed.generator
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>x</id>'
        b'<link rel="next" href="p2.xml"/><link rel="prev-archive" href="arch.xml"/>'
        b'<generator uri="https://wordpress.org/">WordPress</generator>'
        b"<entry><id>a</id><title>a</title></entry></feed>"
    )
    parsed = parse_feed(atom, {"content-type": "application/atom+xml"}, FEED)
    assert isinstance(parsed, ParsedFeed)
    assert parsed.next_page == "https://news.example/feed/p2.xml"  # "next" before an archive
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T", "items": [],'
        b' "next_url": "https://news.example/feed.json?page=2"}'
    )
    parsed = parse_feed(json_feed, {}, FEED)
    assert isinstance(parsed, ParsedFeed)
    assert parsed.next_page == "https://news.example/feed.json?page=2"
