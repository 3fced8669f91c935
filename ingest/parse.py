"""Feed bytes -> entries (pure). feedparser gets bytes only, never a URL or a path.

feedparser treats a str as a URL, a file name or a document and may do I/O; wrapping the
bytes in BytesIO keeps parsing pure (feedparser's own docs advise it for untrusted input).

The bytes are decoded here, not by feedparser: left to itself, feedparser reads a feed that
declares no encoding as windows-1252 (an Arabic feed in windows-1256 came out as mojibake).
Here a feed is decoded the way pages are (ingest/extract.py page_text) and handed to
feedparser as UTF-8, labelled so in both the XML declaration and the Content-Type.
"""

from __future__ import annotations

import codecs
import html.entities
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import feedparser
from trafilatura.utils import detect_encoding

from ingest.json_feed import json_feed_items, looks_like_json_feed
from schemas.timestamps import from_struct_time


@dataclass(frozen=True)
class FeedEntry:
    link: str | None  # None when the feed gives none; ingest/entries.py decides what to do
    title: str
    guid: str | None
    summary: str | None
    content: str | None
    published: str | None
    updated: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    language: str | None
    entries: tuple[FeedEntry, ...]
    warning: str | None  # feedparser's bozo reason when entries were still found
    ttl_s: float | None = None  # how long the feed says it stays fresh (<ttl>, sy:update*)
    # Where older entries are (ingest/paging.py): RFC 5005's rel="next" or "prev-archive"
    # link, or JSON Feed's next_url; and what made the feed (WordPress pages by ?paged=).
    next_page: str | None = None
    generator: str | None = None


@dataclass(frozen=True)
class FeedParseError:
    """The body is not a feed we can read: a per-feed error, never a crash."""

    reason: str


EncodingSource = Literal["bom", "http", "xml_declaration", "detected", "default"]


@dataclass(frozen=True)
class FeedEncoding:
    codec: str  # a Python codec name
    source: EncodingSource  # what decided it


# Byte-order marks; UTF-32 before UTF-16, whose little-endian mark is a prefix of UTF-32's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML 1.0 appendix F: "<?" in UTF-16 without a byte-order mark.
_UTF16_WITHOUT_BOM = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
# WHATWG Encoding: the decoders browsers use for these labels (by Python's codec name).
# ASCII and ISO-8859-1 labels mean windows-1252 to a browser. They are read as ISO-8859-1
# here: feedparser maps the C1 range of every field to windows-1252's characters, which
# comes to the same, and its repair of UTF-8 text labelled ISO-8859-1 (re-decoding a field
# whose ISO-8859-1 bytes are valid UTF-8) only works on text read that way.
_AS_BROWSERS_READ = {
    "ascii": "iso-8859-1",
    "iso8859-9": "windows-1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}
# WHATWG Encoding's encodings, by Python codec name: all a browser's detector can choose.
_WEB_ENCODINGS = frozenset(
    codecs.lookup(label).name
    for label in (
        "utf-8",
        "utf-16-be",
        "utf-16-le",
        "ibm866",
        "iso-8859-2",
        "iso-8859-3",
        "iso-8859-4",
        "iso-8859-5",
        "iso-8859-6",
        "iso-8859-7",
        "iso-8859-8",
        "iso-8859-10",
        "iso-8859-13",
        "iso-8859-14",
        "iso-8859-15",
        "iso-8859-16",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "cp874",
        "cp1250",
        "cp1251",
        "cp1252",
        "cp1253",
        "cp1254",
        "cp1255",
        "cp1256",
        "cp1257",
        "cp1258",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "euc-jp",
        "iso-2022-jp",
        "shift_jis",
        "cp932",
        "euc-kr",
        "cp949",
    )
)
# Single-byte code pages of the Latin script. A detector tells them apart little better
# than chance on a feed's text (undeclared French came out as cp1250, Portuguese as cp1257),
# so a guess among them gives way to the default, windows-1252 (by far the most common).
_LATIN_CODE_PAGES = frozenset(
    codecs.lookup(label).name
    for label in (
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "cp1258",
        "iso-8859-2",
        "iso-8859-3",
        "iso-8859-4",
        "iso-8859-10",
        "iso-8859-13",
        "iso-8859-14",
        "iso-8859-15",
        "iso-8859-16",
        "mac-roman",
    )
)
# Python codecs that are no character encoding of the web: escape-sequence interpreters,
# host-name codecs, and UTF-7, which browsers refuse because it hides markup (XSS).
_NOT_WEB_ENCODINGS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode", "utf-7"}
)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(
    rb"\A\s*<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([A-Za-z][\w.:-]*)[\"']", re.IGNORECASE
)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\s[^>]*?\?>")  # not <?xml-stylesheet?>
UTF8_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


def _codec(label: str) -> str | None:
    """The Python codec a declared label names, None when it names none we would use."""
    label = label.strip().lower()
    try:
        name = codecs.lookup(label).name
        "<".encode(label)  # LookupError for a codec of bytes to bytes (hex, base64, zlib)
    except (LookupError, UnicodeError):
        return None
    if name in _NOT_WEB_ENCODINGS:
        return None
    return _AS_BROWSERS_READ.get(name, label)


def _declared(body: bytes, content_type: str | None) -> list[FeedEncoding]:
    """What the HTTP Content-Type and then the XML declaration say, in that order: RFC 7303
    section 3.2 and browsers let the charset parameter win over the declaration."""
    declared = []
    http = _HTTP_CHARSET.search(content_type or "")
    if http and (codec := _codec(http.group(1))):
        declared.append(FeedEncoding(codec, "http"))
    for marker, codec in _UTF16_WITHOUT_BOM:
        if body.startswith(marker):
            return [*declared, FeedEncoding(codec, "xml_declaration")]
    xml = _DECLARED_ENCODING.match(body[:1024])
    if xml and (codec := _codec(xml.group(1).decode("ascii"))):
        # A UTF-16 or UTF-32 label in a declaration readable as ASCII is wrong by
        # construction: WHATWG reads it as UTF-8, as it does for <meta charset>.
        wide = codecs.lookup(codec).name.startswith(("utf-16", "utf-32"))
        declared.append(FeedEncoding("utf-8" if wide else codec, "xml_declaration"))
    return declared


def _decodes(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeError, LookupError):
        return None


def _damaged_utf8(body: bytes) -> str | None:
    """The bytes read as UTF-8 with replacement characters, when most of their non-ASCII
    text is valid UTF-8: a UTF-8 feed with a damaged byte stays UTF-8, as in a browser.
    Text in a legacy encoding is almost never valid UTF-8, and is refused. (A single-byte
    code page reads nearly any byte, so a few it cannot read tell nothing either way.)"""
    text = body.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    return text if non_ascii - replaced > replaced else None


# Fewer non-ASCII bytes than this are too little for a detector to go on (one curly quote
# in windows-1252 came out as Big5): the default encoding reads them instead.
MIN_BYTES_TO_DETECT = 16
# What reads bytes nothing else could: windows-1252, feedparser's own last resort and
# WHATWG's default for undeclared legacy bytes in most locales. Read as ISO-8859-1, which
# never fails, for feedparser to finish as _AS_BROWSERS_READ says; a feed mixing UTF-8
# and windows-1252 entries then has each entry repaired.
DEFAULT_ENCODING = FeedEncoding("iso-8859-1", "default")


def _detected(body: bytes) -> list[str]:
    """The detector's guesses that a browser could make, best first; none when the best is
    a Latin code page (the default reads those). The detector (charset_normalizer, through
    trafilatura) also offers DOS and Mac code pages such as cp852 or mac_iceland, which no
    browser would use."""
    if _decodes(body, "utf-8") is not None:
        return ["utf-8"]  # the default of XML, and what the detector says first too
    if len(body) - len(body.decode("ascii", errors="ignore")) < MIN_BYTES_TO_DETECT:
        return []
    guesses = (_codec(guess) for guess in detect_encoding(body))
    web = [g for g in guesses if g is not None and codecs.lookup(g).name in _WEB_ENCODINGS]
    return [] if web and codecs.lookup(web[0]).name in _LATIN_CODE_PAGES else web


def decode_feed(body: bytes, content_type: str | None) -> tuple[str, FeedEncoding]:
    """The feed as text, and the encoding that read it: a byte-order mark, else the HTTP
    charset, else the XML declaration, else detection with the detector that reads pages
    (trafilatura's; valid UTF-8, the XML default, is UTF-8).

    Bytes that a declared encoding cannot read (legacy text declared as UTF-8, UTF-8
    declared as ISO-8859-1: common mistakes) go to detection, as feedparser gave way to its
    own fallbacks, unless they are UTF-8 with a few damaged bytes; when nothing reads them
    (or there are too few to detect from), windows-1252 does, as it did in feedparser."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), FeedEncoding(codec, "bom")
    declared = _declared(body, content_type)
    for encoding in declared:
        if (text := _decodes(body, encoding.codec)) is not None:
            return text, encoding
    for encoding in declared:
        if codecs.lookup(encoding.codec).name == "utf-8" and (text := _damaged_utf8(body)):
            return text, encoding
    for guess in _detected(body):
        if (text := _decodes(body, guess)) is not None:
            return text, FeedEncoding(guess, "detected")
    return body.decode(DEFAULT_ENCODING.codec, errors="replace"), DEFAULT_ENCODING


def feed_encoding(body: bytes, content_type: str | None) -> FeedEncoding:
    """The encoding decode_feed reads the feed with, and what decided it."""
    return decode_feed(body, content_type)[1]


def _as_utf8(text: str) -> bytes:
    """The text as UTF-8 that says so: its XML declaration replaced (or added), since
    feedparser believes a declaration over its default when the Content-Type is missing.
    The rest starts on a line of its own, as when feedparser adds a declaration: its
    DOCTYPE filter (which keeps only entity declarations that cannot expand) reads a
    DOCTYPE only at the start of a line; left on the declaration's line, a billion-laughs
    DTD went to expat, which spent a long while expanding it before giving up."""
    declaration = _XML_DECLARATION.match(text)
    rest = text[declaration.end() :] if declaration else text
    return f"{UTF8_DECLARATION}\n{rest.lstrip()}".encode("utf-8", errors="replace")


def _utf8_headers(headers: Mapping[str, str], url: str) -> dict[str, str]:
    """The response headers feedparser gets (lowercase names): the Content-Type's charset
    says UTF-8, what _as_utf8 made of the body."""
    response_headers = dict(headers)
    response_headers["content-location"] = url  # base for relative links
    if "content-type" in response_headers:
        media_type = response_headers["content-type"].split(";", 1)[0].strip()
        response_headers["content-type"] = f"{media_type}; charset=utf-8"
    return response_headers


# Entities every XML parser knows, and those feedparser's lenient parser expands itself.
_EXPANDED_ENTITIES = frozenset({"lt", "gt", "amp", "apos", "quot"}) | frozenset(
    html.entities.name2codepoint
)
_FIRST_ELEMENT = re.compile(r"<[A-Za-z_]")
_ENTITY_DECLARATION = re.compile(r"<!ENTITY\s+([A-Za-z_:][\w.:-]*)")


def declared_entities(text: str) -> frozenset[str]:
    """Names of the general entities the document's internal DTD subset declares, but for
    those every parser expands anyway."""
    first = _FIRST_ELEMENT.search(text)
    head = text[: first.start()] if first else text
    return frozenset(_ENTITY_DECLARATION.findall(head)) - _EXPANDED_ENTITIES


@dataclass(frozen=True)
class UnexpandedReferences:
    """Removes references to entities the document declared and no parser expanded.

    An entity-expansion bomb (billion laughs) is refused by expat, and feedparser's lenient
    parser then drops every declaration whose value holds a reference: the references
    stay in the text, as "&lol9;" in plain text and "&amp;lol9" in HTML (whose lenient
    parser swallows the semicolon). Only declared names are removed, so text like "AT&T"
    and references the parsers did expand are left alone."""

    pattern: re.Pattern[str] | None

    @classmethod
    def of(cls, text: str) -> UnexpandedReferences:
        names = sorted(map(re.escape, declared_entities(text)), key=len, reverse=True)
        if not names:
            return cls(None)
        either = "|".join(names)
        return cls(re.compile(f"&(?:{either});|&amp;(?:{either});?"))

    def html(self, value: str | None) -> str | None:
        if value is None or self.pattern is None:
            return value
        return self.pattern.sub("", value) or None

    def text(self, value: str | None) -> str | None:
        if value is None or self.pattern is None:
            return value
        cleaned = self.pattern.sub("", value)
        return value if cleaned == value else " ".join(cleaned.split()) or None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _entry(raw: dict[str, Any], references: UnexpandedReferences) -> FeedEntry:
    link = _text(raw.get("link"))
    contents = raw.get("content") or []
    content = _text(contents[0].get("value")) if contents else None
    return FeedEntry(
        link=link.strip() if link else None,
        title=(references.text(_text(raw.get("title"))) or "").strip(),
        guid=_text(raw.get("id")),
        summary=_text(references.html(_text(raw.get("summary")))),
        content=_text(references.html(content)),
        # dict.get, not FeedParserDict.get: the latter maps a missing updated_parsed to
        # published_parsed with a DeprecationWarning (feedparser issue 310).
        published=from_struct_time(dict.get(raw, "published_parsed")),
        updated=from_struct_time(dict.get(raw, "updated_parsed")),
    )


def _json_feed(body: bytes) -> ParsedFeed | FeedParseError:
    read = json_feed_items(body)
    if isinstance(read, str):
        return FeedParseError(read)
    feed, items = read
    entries = tuple(
        FeedEntry(
            link=item["link"],
            title=item["title"] or "",
            guid=item["id"],
            summary=item["summary"],
            content=item["content"],
            published=item["published"],
            updated=item["updated"],
        )
        for item in items
    )
    return ParsedFeed(
        title=feed["title"],
        language=feed["language"],
        entries=entries,
        warning=None,
        next_page=feed["next_page"],
    )


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed | FeedParseError:
    if looks_like_json_feed(body):
        return _json_feed(body)
    response_headers = {k.lower(): v for k, v in headers.items()}
    text, _ = decode_feed(body, response_headers.get("content-type"))
    references = UnexpandedReferences.of(text)
    try:
        parsed = feedparser.parse(
            io.BytesIO(_as_utf8(text)), response_headers=_utf8_headers(response_headers, url)
        )
    except Exception as exc:
        # feedparser 6.0.x raises UnicodeEncodeError on a character reference to a lone
        # surrogate (&#xD800;) in its lenient parser; found by tests/unit/test_fuzz.py.
        return FeedParseError(f"the feed parser failed on this body: {type(exc).__name__}: {exc}")
    entries = tuple(_entry(raw, references) for raw in parsed.entries)
    reason = repr(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not entries and reason is not None:
        return FeedParseError(f"not a readable feed: {reason}")
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=references.text(_text(feed.get("title"))),
        language=_text(feed.get("language")),
        entries=entries,
        warning=reason,
        ttl_s=feed_ttl_s(feed),
        next_page=older_page_link(feed),
        generator=_generator(feed),
    )


# RFC 5005: a paged feed's rel="next" (section 3) leads to older entries; an archived
# feed's rel="prev-archive" (section 4) to the archive document before it.
OLDER_PAGE_RELATIONS = ("next", "prev-archive")


def older_page_link(feed: Mapping[str, Any]) -> str | None:
    """The feed's link to older entries (resolved against the feed's URL by feedparser)."""
    links = [link for link in feed.get("links", ()) if isinstance(link, Mapping)]
    for relation in OLDER_PAGE_RELATIONS:
        for link in links:
            if link.get("rel") == relation and (href := _text(link.get("href"))):
                return href.strip()
    return None


def _generator(feed: Mapping[str, Any]) -> str | None:
    """RSS <generator> text, or Atom <generator>'s name and uri."""
    detail = feed.get("generator_detail")
    parts = [_text(feed.get("generator"))]
    if isinstance(detail, Mapping):
        parts += [_text(detail.get("href")), _text(detail.get("name"))]
    found = " ".join(p for p in parts if p)
    return found or None


SY_PERIOD_S = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


def feed_ttl_s(feed: Mapping[str, Any]) -> float | None:
    """RSS 2.0 <ttl> (minutes), else the syndication module's updatePeriod / updateFrequency."""
    ttl = str(feed.get("ttl", "")).strip()
    if ttl.isdigit():
        return int(ttl) * 60.0
    period = SY_PERIOD_S.get(str(feed.get("sy_updateperiod", "")).strip().lower())
    if period is None:
        return None
    frequency = str(feed.get("sy_updatefrequency", "1")).strip()
    return period / max(1, int(frequency)) if frequency.isdigit() else float(period)
