"""Pages come out right whatever their encoding and however it is declared: byte-order
mark, then the HTTP charset, then <meta charset>, then detection (WHATWG order)."""

import codecs

import pytest

from ingest.extract import extract_page, page_text

RUSSIAN = "Новости дня: в городе открылся новый мост через реку, движение запущено утром."
FRENCH = "Le café coûte 3 € à la gare, a dit l'élue ; « c'est trop », répondent les usagers."
ARABIC = "أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفية خلال الموسم."


def _page(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><article><p>{text}</p></article></body></html>"


# (name, body, Content-Type header, text expected on the page)
CASES = [
    (
        "header-only-windows-1251",
        _page(RUSSIAN).encode("windows-1251"),
        "text/html; charset=windows-1251",
        RUSSIAN,
    ),
    (
        "header-latin1-means-windows-1252",
        _page(FRENCH).encode("windows-1252"),
        "text/html; charset=ISO-8859-1",
        FRENCH,
    ),
    (
        "quoted-header-label",
        _page(RUSSIAN).encode("koi8-r"),
        'text/html; charset="KOI8-R"',
        RUSSIAN,
    ),
    (
        "utf8-bom-beats-a-wrong-header",
        codecs.BOM_UTF8 + _page(ARABIC).encode(),
        "text/html; charset=windows-1256",
        ARABIC,
    ),
    ("utf16-bom", _page(ARABIC).encode("utf-16"), None, ARABIC),
    (
        "meta-only",
        _page(RUSSIAN, '<meta charset="windows-1251">').encode("windows-1251"),
        "text/html",
        RUSSIAN,
    ),
    (
        "unknown-header-label-falls-back-to-meta",
        _page(FRENCH, '<meta charset="windows-1252">').encode("windows-1252"),
        "text/html; charset=x-nonsense",
        FRENCH,
    ),
    ("nothing-declared-utf8", _page(ARABIC).encode(), None, ARABIC),
]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_page_text_comes_out_right(body: bytes, content_type: str | None, expected: str) -> None:
    page = extract_page(page_text(body, content_type), "https://news.example.org/a")
    assert expected in page.page_paragraphs
