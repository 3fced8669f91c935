import pytest

from ingest.parse import FeedParseError, ParsedFeed, parse_feed

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Gazette</title><language>en-GB</language>
<item><title>One</title><link>https://example.org/1</link><guid isPermaLink="false">g-1</guid>
<pubDate>Sat, 28 Nov 2026 07:30:00 GMT</pubDate>
<description>&lt;p&gt;Lead one&lt;/p&gt;</description></item>
<item><title>Two</title><link>/2</link></item>
<item><title>No link at all</title></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar"><title>المرسى</title>
<entry><title>خبر</title><id>urn:x:1</id><link href="https://example.org/ar/1"/>
<updated>2026-11-28T08:45:00Z</updated><content type="html">&lt;p&gt;نص&lt;/p&gt;</content></entry>
</feed>""".encode()

WINDOWS_1251 = (
    '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel><title>Лента</title>'
    "<item><title>Новости дня</title><link>https://example.org/ru/1</link></item></channel></rss>"
).encode("cp1251")


def _ok(body: bytes, url: str = "https://example.org/feed") -> ParsedFeed:
    parsed = parse_feed(body, {"content-type": "application/rss+xml"}, url)
    assert isinstance(parsed, ParsedFeed), parsed
    return parsed


def test_rss_entries_with_relative_links_resolved_and_linkless_entries_kept() -> None:
    feed = _ok(RSS)
    # What becomes of an entry without a link is ingest/entries.py's decision, not the parser's.
    assert [e.link for e in feed.entries] == [
        "https://example.org/1",
        "https://example.org/2",
        None,
    ]
    assert feed.entries[2].title == "No link at all"
    first = feed.entries[0]
    assert (first.title, first.guid, first.published) == ("One", "g-1", "2026-11-28T07:30:00.000Z")
    assert feed.language == "en-GB"


def test_atom_with_arabic_content() -> None:
    entry = _ok(ATOM).entries[0]
    assert entry.title == "خبر" and entry.content == "<p>نص</p>"
    assert entry.updated == "2026-11-28T08:45:00.000Z"


def test_declared_legacy_encoding_is_decoded() -> None:
    assert _ok(WINDOWS_1251).entries[0].title == "Новости дня"


def test_broken_xml_that_still_has_entries_is_a_warning() -> None:
    truncated = RSS.replace(b"</channel></rss>", b"<item><title>cut")
    feed = _ok(truncated)
    assert feed.entries and feed.warning is not None


def test_garbage_is_a_per_feed_error_not_a_crash() -> None:
    for body in (b"", b"\x00\xff\xfe garbage", b"<html><body>not a feed</body></html>"):
        parsed = parse_feed(body, {}, "https://example.org/feed")
        assert isinstance(parsed, FeedParseError | ParsedFeed)
        if isinstance(parsed, ParsedFeed):
            assert parsed.entries == ()


def test_a_string_that_looks_like_a_path_is_never_opened() -> None:
    parsed = parse_feed(b"/etc/passwd", {}, "https://example.org/feed")
    assert isinstance(parsed, FeedParseError) or parsed.entries == ()


def test_a_surrogate_character_reference_is_a_per_feed_error_not_a_crash() -> None:
    parsed = parse_feed(
        b"<rss><channel><item><title>&#xD800;</title></item></channel></rss>",
        {},
        "https://x.example/f",
    )
    assert isinstance(parsed, FeedParseError | ParsedFeed)
    assert isinstance(parse_feed(b"<item>&#xD800;", {}, "https://x.example/f"), FeedParseError)


JSON_FEED_11 = """{
  "version": "https://jsonfeed.org/version/1.1", "title": "Desk", "language": "ar",
  "items": [
    {"id": "1", "url": "https://news.example.org/one", "title": "One",
     "content_html": "<p>نص</p>", "date_published": "2026-11-29T10:00:00+02:00"},
    {"id": "https://news.example.org/two", "content_text": "Two", "date_modified": "yesterday"},
    {"id": "3", "title": "nothing to fetch"},
    "not an item"
  ]
}""".encode()


def test_json_feed_items_become_entries() -> None:
    parsed = parse_feed(JSON_FEED_11, {"Content-Type": "application/feed+json"}, "https://x/f")
    assert isinstance(parsed, ParsedFeed)
    assert (parsed.title, parsed.language) == ("Desk", "ar")
    one, two, three = parsed.entries
    assert (one.link, one.guid, one.title, one.content) == (
        "https://news.example.org/one",
        "1",
        "One",
        "<p>نص</p>",
    )
    assert one.published == "2026-11-29T08:00:00.000Z"  # RFC 3339 offset -> UTC
    assert (two.link, two.title, two.content, two.updated) == (
        "https://news.example.org/two",
        "",
        "Two",
        None,  # the id is the URL; a bad date dropped
    )
    assert (three.link, three.guid, three.title) == (None, "3", "nothing to fetch")


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "https://jsonfeed.org/version/1", "items": {}}',
        b'{"version": "https://jsonfeed.org/version/1", "items": [',
        b"\xff{ jsonfeed.org/version/",
    ],
    ids=["items-not-a-list", "truncated", "not-utf8"],
)
def test_broken_json_feed_is_a_feed_error(body: bytes) -> None:
    assert isinstance(parse_feed(body, {}, "https://x/f"), FeedParseError)


def _billion_laughs(title: str, summary: str) -> bytes:
    levels = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">{levels}]>'
        f'<rss version="2.0"><channel><title>Desk &lol9; news</title><item><title>{title}</title>'
        f"<link>https://example.org/1</link><description>{summary}</description></item>"
        "</channel></rss>"
    ).encode()


def test_references_a_refused_entity_bomb_leaves_are_removed_and_the_text_kept() -> None:
    body = _billion_laughs(
        "Harbour &lol9; reopens: AT&amp;T &amp; port &lt;news&gt;",
        "&lt;p&gt;Ships &lol3;back &amp;copy;&lt;/p&gt; &lol5;",
    )
    feed = _ok(body)
    entry = feed.entries[0]
    assert feed.title == "Desk news"
    assert entry.title == "Harbour reopens: AT&T & port <news>"
    assert entry.summary is not None and "lol" not in entry.summary
    assert entry.summary.strip() == "<p>Ships back &copy;</p>"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("AT&amp;T &amp; Verizon", "AT&T & Verizon"),
        ("Caf&#233; &amp;amp; &copy;", "Café &amp; ©"),
        ("&lol9;", ""),
    ],
    ids=["ampersands", "character-and-html-references", "nothing-but-a-reference"],
)
def test_known_references_stay_expanded_beside_a_bomb(title: str, expected: str) -> None:
    assert _ok(_billion_laughs(title, "text")).entries[0].title == expected
