"""Feeds come out right whatever their encoding and however it is declared: byte-order mark,
then the HTTP charset (RFC 7303 section 3.2: it wins over the XML declaration), then the XML
declaration, then detection, as for pages (tests/unit/test_charset.py)."""

import codecs

import pytest

from ingest.parse import FeedEncoding, ParsedFeed, feed_encoding, parse_feed

ARABIC = [
    "أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفية خلال الموسم",
    "ارتفعت أسعار النفط في الأسواق العالمية بعد قرار منظمة أوبك خفض الإنتاج",
    "افتتح وزير التعليم مدرسة جديدة في العاصمة بحضور عدد من المسؤولين",
]
RUSSIAN = [
    "Новости дня: в городе открылся новый мост через реку, движение запущено утром",
    "Цены на нефть выросли после решения ОПЕК сократить добычу в следующем месяце",
    "Министр образования открыл новую школу в столице в присутствии чиновников",
]
FRENCH = ["Le café coûte 3 € à la gare, a dit l'élue ; « c'est trop », répondent les usagers"]
KOREAN = ["오늘의 주요 뉴스와 항구 소식", "항구가 폭풍 후 다시 열렸다"]
PORTUGUESE = [
    "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno",
    "Líder na pesquisa de intenção de voto para o primeiro turno divulgada nesta segunda-feira",
]


def _rss(titles: list[str], encoding: str | None = None) -> str:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    items = "".join(
        f"<item><title>{t}</title><link>https://example.org/{n}</link>"
        f"<description>{t}. {t}.</description></item>"
        for n, t in enumerate(titles)
    )
    return f'{declaration}<rss version="2.0"><channel><title>{titles[0][:12]}</title>{items}</channel></rss>'


# (name, body, Content-Type header, titles expected)
CASES = [
    ("undeclared-windows-1256-arabic", _rss(ARABIC).encode("windows-1256"), "application/rss+xml", ARABIC),
    ("undeclared-windows-1251-russian", _rss(RUSSIAN).encode("windows-1251"), "application/rss+xml", RUSSIAN),
    ("undeclared-windows-1252-portuguese", _rss(PORTUGUESE).encode("windows-1252"), "application/rss+xml", PORTUGUESE),
    ("undeclared-windows-1252-french", _rss(FRENCH * 3).encode("windows-1252"), "application/rss+xml", FRENCH * 3),
    ("undeclared-and-no-content-type", _rss(ARABIC).encode("windows-1256"), None, ARABIC),
    ("undeclared-text-xml", _rss(RUSSIAN).encode("windows-1251"), "text/xml", RUSSIAN),
    ("declared-in-xml-only", _rss(RUSSIAN, "windows-1251").encode("windows-1251"), "application/xml", RUSSIAN),
    ("http-charset-beats-xml-declaration", _rss(RUSSIAN, "iso-8859-1").encode("koi8-r"), "application/rss+xml; charset=KOI8-R", RUSSIAN),
    ("http-charset-on-text-html", _rss(ARABIC).encode("windows-1256"), 'text/html; charset="windows-1256"', ARABIC),
    ("utf8-bom-beats-header-and-declaration", codecs.BOM_UTF8 + _rss(ARABIC, "windows-1256").encode(), "application/xml; charset=windows-1251", ARABIC),
    ("utf16-bom", _rss(RUSSIAN, "utf-16").encode("utf-16"), "application/xml", RUSSIAN),
    ("latin1-label-means-windows-1252", _rss(FRENCH, "ISO-8859-1").encode("windows-1252"), "application/xml", FRENCH),
    ("unknown-http-label-falls-back-to-declaration", _rss(RUSSIAN, "windows-1251").encode("windows-1251"), "application/xml; charset=x-nonsense", RUSSIAN),
    # feedparser repairs a field whose ISO-8859-1 reading is valid UTF-8, a common mistake.
    ("utf8-declared-as-latin1", _rss(KOREAN, "iso-8859-1").encode(), "application/xml", KOREAN),
    ("utf8-undeclared-unchanged", _rss(ARABIC).encode(), "application/rss+xml", ARABIC),
    ("utf8-declared-unchanged", _rss(RUSSIAN, "utf-8").encode(), "application/rss+xml; charset=utf-8", RUSSIAN),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "titles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_feed_titles_come_out_right(
    body: bytes, content_type: str | None, titles: list[str]
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    parsed = parse_feed(body, headers, "https://example.org/feed")
    assert isinstance(parsed, ParsedFeed), parsed
    assert [e.title for e in parsed.entries] == titles
    assert parsed.title == titles[0][:12]


# (name, body, Content-Type header, encoding chosen, what chose it)
ENCODINGS = [
    ("bom", codecs.BOM_UTF8 + b"<rss/>", "application/xml; charset=koi8-r", FeedEncoding("utf-8", "bom")),
    ("http", b'<?xml version="1.0" encoding="utf-8"?><rss/>', "text/xml; charset=windows-1251", FeedEncoding("windows-1251", "http")),
    ("xml-declaration", b"<?xml version='1.0' encoding='KOI8-R'?><rss/>", "application/xml", FeedEncoding("koi8-r", "xml_declaration")),
    ("utf16-without-bom", '<?xml version="1.0"?><rss/>'.encode("utf-16-le"), None, FeedEncoding("utf-16-le", "xml_declaration")),
    ("ascii-label-reads-as-latin1", b'<?xml version="1.0" encoding="us-ascii"?><rss/>', None, FeedEncoding("iso-8859-1", "xml_declaration")),
    ("utf16-label-in-an-ascii-declaration", b'<?xml version="1.0" encoding="UTF-16"?><rss/>', None, FeedEncoding("utf-8", "xml_declaration")),
    ("valid-utf8-undeclared", "<rss>é</rss>".encode(), None, FeedEncoding("utf-8", "detected")),
    ("detected", _rss(ARABIC).encode("windows-1256"), "application/xml", FeedEncoding("cp1256", "detected")),
    ("bytes-to-bytes-codec-is-no-declaration", _rss(RUSSIAN, "hex").encode("windows-1251"), "text/xml; charset=rot13", FeedEncoding("cp1251", "detected")),
    ("escape-codec-is-no-declaration", _rss(RUSSIAN, "unicode_escape").encode("windows-1251"), None, FeedEncoding("cp1251", "detected")),
    ("damaged-utf8-stays-utf8", _rss(RUSSIAN, "utf-8").encode().replace("дня".encode(), b"\xff"), None, FeedEncoding("utf-8", "xml_declaration")),
    ("latin1-text-declared-utf8", _rss(FRENCH, "utf-8").encode("windows-1252"), None, FeedEncoding("iso-8859-1", "default")),
    ("undeclared-portuguese", _rss(PORTUGUESE).encode("windows-1252"), None, FeedEncoding("iso-8859-1", "default")),
    ("too-few-bytes-to-detect", b"<rss><title>It\x92s open</title></rss>", None, FeedEncoding("iso-8859-1", "default")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "expected"), [c[1:] for c in ENCODINGS], ids=[c[0] for c in ENCODINGS]
)
def test_the_encoding_and_what_decided_it(
    body: bytes, content_type: str | None, expected: FeedEncoding
) -> None:
    assert feed_encoding(body, content_type) == expected


def test_a_few_curly_quotes_in_windows_1252_are_read_as_such() -> None:
    body = _rss(["It\u2019s open \u2013 the port\u2019s café"], "utf-8").encode("windows-1252")
    parsed = parse_feed(body, {"content-type": "application/rss+xml"}, "https://x.example/f")
    assert isinstance(parsed, ParsedFeed)
    assert parsed.entries[0].title == "It\u2019s open \u2013 the port\u2019s café"


def test_a_stylesheet_instruction_is_not_taken_for_the_declaration() -> None:
    body = '<?xml-stylesheet href="a.xsl"?>' + _rss(RUSSIAN)
    parsed = parse_feed(body.encode(), {}, "https://example.org/feed")
    assert isinstance(parsed, ParsedFeed)
    assert [e.title for e in parsed.entries] == RUSSIAN


def test_bytes_wrong_for_the_declared_encoding_are_read_by_detection() -> None:
    body = _rss(RUSSIAN, "utf-8").encode("windows-1251")
    parsed = parse_feed(body, {"content-type": "application/xml"}, "https://example.org/feed")
    assert isinstance(parsed, ParsedFeed)
    assert [e.title for e in parsed.entries] == RUSSIAN
