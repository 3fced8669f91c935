from typing import Any

import pytest
import trafilatura
from trafilatura.settings import Document, Extractor

from ingest.extract import (
    Extraction,
    choose_body,
    extract_page,
    has_repeat,
    html_fragment_paragraphs,
    is_paywalled,
    paragraph_key,
    repeated_on_page,
    restore_adjacent_repeats,
    same_site_url,
    second_opinion_due,
    takes_second_opinion,
)
from services.replay_server import Outlet, Story, render_page
from workers.dedupe.internal_duplication import internal_duplication

PARAGRAPHS = (
    "The harbour authority said on Saturday that the new breakwater will be finished next spring.",
    "Engineers have already placed most of the concrete blocks along the northern arm of the port.",
    "Fishermen welcomed the news, saying the old wall had let winter storms into the inner basin.",
)


def _page(language: str = "en") -> bytes:
    outlet = Outlet("gazette", "Gazette", language)
    story = Story(
        "gazette", "breakwater", "Breakwater due in spring", "2026-11-28T07:30:00Z", PARAGRAPHS
    )
    return render_page(outlet, story).encode()


def test_extracts_title_paragraphs_and_metadata_without_boilerplate() -> None:
    page = extract_page(_page(), "https://example.org/breakwater")
    assert page.title == "Breakwater due in spring"
    assert page.paragraphs[-3:] == PARAGRAPHS
    assert not any("Most read" in p or "rights reserved" in p for p in page.paragraphs)
    assert page.site_name == "Gazette"
    assert page.page_language == "en"


def test_empty_page_gives_no_paragraphs() -> None:
    page = extract_page(b"<html><body></body></html>", "https://example.org/x")
    assert page.paragraphs == ()


def test_feed_html_fragments_become_paragraphs() -> None:
    assert html_fragment_paragraphs("<p>One <b>bold</b></p><p>Two</p>") == ("One bold", "Two")
    assert html_fragment_paragraphs("plain text") == ("plain text",)
    assert html_fragment_paragraphs(None) == ()


@pytest.mark.parametrize(
    ("fragment", "paragraphs"),
    [
        # a quotation's paragraph once, not as the quotation's text too
        (
            "<p>He wrote:</p><blockquote><p>Quoted words</p></blockquote>",
            ("He wrote:", "Quoted words"),
        ),
        ("<blockquote>Said so <p>Quoted</p> then</blockquote>", ("Said so then", "Quoted")),
        ("<ul><li>One<ul><li>Inner</li></ul></li><li>Two</li></ul>", ("One", "Inner", "Two")),
        ("<li><p>Item</p></li>", ("Item",)),
        ("<p>Kept <!-- a comment --><b>bold</b> words</p>", ("Kept bold words",)),
        ("<div><p>In a div</p></div>", ("In a div",)),
    ],
)
def test_a_block_inside_another_is_one_paragraph(
    fragment: str, paragraphs: tuple[str, ...]
) -> None:
    assert html_fragment_paragraphs(fragment) == paragraphs


QUOTED = (
    "<p>The minister said on Monday that the plan would go ahead.</p><blockquote><p>We will "
    "build the new line before the end of the decade, whatever it costs us.</p></blockquote>"
    "<p>Critics were not convinced by the promise.</p>"
)


def test_a_quotation_makes_no_body_that_repeats_itself() -> None:
    # cut twice, the quoted paragraph read as a doubling by the dedupe stage
    assert internal_duplication(html_fragment_paragraphs(QUOTED)).pattern == "none"
    assert (
        internal_duplication(html_fragment_paragraphs(QUOTED, nested_twice=True)).pattern != "none"
    )


def test_blocks_inside_others_twice_as_the_feeds_draws_were_labelled() -> None:
    fragment = "<blockquote><p>Quoted words</p></blockquote>"
    assert html_fragment_paragraphs(fragment, nested_twice=True) == ("Quoted words",) * 2


def _extraction(paragraphs: tuple[str, ...]) -> Extraction:
    return Extraction("t", paragraphs, None, None, None, None)


def test_body_prefers_the_page_when_it_is_long_enough() -> None:
    chosen = choose_body(_extraction(PARAGRAPHS), "<p>feed content</p>", "summary")
    assert chosen is not None and chosen.source == "page"


def test_body_falls_back_to_the_longest_feed_text() -> None:
    long_content = "<p>" + " ".join(PARAGRAPHS) + "</p>"
    chosen = choose_body(_extraction(("Cookie banner",)), long_content, "short summary")
    assert chosen is not None and chosen.source == "feed_content"
    chosen = choose_body(None, None, "only a summary")
    assert chosen is not None and chosen.source == "feed_summary"


def test_a_page_with_no_body_gives_its_description_only_when_the_feed_has_no_text() -> None:
    page = Extraction("t", (), None, None, None, None, description="What the story is about.")
    chosen = choose_body(page, None, None)
    assert chosen is not None and chosen.source == "page_description"
    assert chosen.paragraphs == ("What the story is about.",)
    # A site may give every page one description: the entry's own text, however short, wins.
    chosen = choose_body(page, None, "Short.")
    assert chosen is not None and chosen.source == "feed_summary"


def test_no_text_anywhere_is_no_body() -> None:
    assert choose_body(_extraction(()), None, None) is None
    assert choose_body(Extraction("t", (), None, None, None, None, description=" "), "", "") is None


@pytest.mark.parametrize(
    "body",
    [b"<nav><a href='/'>Home</a></nav>", b"", b"<script>render()</script>"],
)
def test_the_page_description_comes_from_its_metadata_even_with_no_body_text(
    body: bytes,
) -> None:
    html = (
        b'<html><head><meta name="description" content="A breakwater for the harbour.">'
        b'<meta property="og:description" content="The harbour gets a  breakwater.">'
        b"</head><body>" + body + b"</body></html>"
    )
    page = extract_page(html, "https://example.org/x")
    assert page.description == "The harbour gets a breakwater."  # Open Graph's first
    chosen = choose_body(page, None, None)
    assert chosen is not None and chosen.source == "page_description"


PAGE_WITH_METADATA = b"""<html lang="en"><head>
<link rel="canonical" href="https://www.news.example.org/world/harbour">
<meta property="og:image" content="https://news.example.org/harbour.jpg">
<meta property="article:tag" content="Harbours">
<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": "False"}</script>
</head><body><article><h1>Harbour reopens</h1>
<p>The port authority lifted the closure on Sunday morning after the storm had passed.</p>
<p>Ferries will run on the winter timetable until Friday, the operator said in a statement.</p>
<p>Fishing boats were allowed back out before dawn, the first time in five days of gales.</p>
</article></body></html>"""


def test_page_metadata_canonical_image_tags_and_paywall() -> None:
    page = extract_page(PAGE_WITH_METADATA, "https://news.example.org/world/harbour?utm_source=x")
    assert page.canonical_url == "https://www.news.example.org/world/harbour"
    assert page.image == "https://news.example.org/harbour.jpg"
    assert "Harbours" in page.tags
    assert page.paywalled


SAME_SITE = [
    ("same-host", "https://a.example/x", "https://a.example/y", "https://a.example/x"),
    (
        "www-either-side",
        "https://www.a.example/x",
        "https://a.example/y",
        "https://www.a.example/x",
    ),
    ("other-site-is-syndication", "https://wire.example/x", "https://a.example/y", None),
    ("relative-or-missing", "/x", "https://a.example/y", None),
    ("none", None, "https://a.example/y", None),
]


@pytest.mark.parametrize(
    ("candidate", "page", "expected"), [c[1:] for c in SAME_SITE], ids=[c[0] for c in SAME_SITE]
)
def test_same_site_url(candidate: str | None, page: str, expected: str | None) -> None:
    assert same_site_url(candidate, page) == expected


PAYWALLS = [
    (
        "json-ld-boolean",
        b'<html><body><script>{"isAccessibleForFree": false}</script><p>x</p></body></html>',
        True,
    ),
    (
        "class-marker",
        b'<html><body><div class="article-PayWall-box">Subscribe</div><p>x</p></body></html>',
        True,
    ),
    ("id-marker", b'<html><body><div id="paywall">Subscribe</div></body></html>', True),
    ("word-in-text-only", b"<html><body><p>Why we have no PAYWALL</p></body></html>", False),
    (
        "free-page",
        b'<html><body><script>{"isAccessibleForFree": true}</script><p>x</p></body></html>',
        False,
    ),
]


@pytest.mark.parametrize(
    ("html", "expected"), [c[1:] for c in PAYWALLS], ids=[c[0] for c in PAYWALLS]
)
def test_is_paywalled(html: bytes, expected: bool) -> None:
    tree = trafilatura.load_html(html)
    assert is_paywalled(html, tree) is expected


@pytest.mark.parametrize(
    ("fast_chars", "due"),
    [(0, True), (499, True), (500, False), (5000, False)],
)
def test_a_short_fast_body_gets_a_second_opinion(fast_chars: int, due: bool) -> None:
    assert second_opinion_due(fast_chars) is due


@pytest.mark.parametrize(
    ("fast_chars", "full_chars", "taken"),
    [(0, 1, True), (300, 450, False), (300, 451, True), (400, 380, False), (100, 2000, True)],
)
def test_the_second_opinion_is_taken_only_when_much_longer(
    fast_chars: int, full_chars: int, taken: bool
) -> None:
    assert takes_second_opinion(fast_chars, full_chars) is taken


def _fake_extraction(
    monkeypatch: pytest.MonkeyPatch, fast_text: str, full_text: str
) -> list[tuple[bool, int]]:
    """trafilatura's extraction replaced by one that answers by mode; the calls it got, as
    (fast, id of the tree)."""
    calls: list[tuple[bool, int]] = []

    def bare_extraction(tree: Any, options: Extractor) -> Document:
        calls.append((options.fast, id(tree)))
        document = Document()
        document.text = fast_text if options.fast else full_text
        if options.with_metadata:
            document.title = "fast" if options.fast else "full"
        return document

    monkeypatch.setattr(trafilatura, "bare_extraction", bare_extraction)
    return calls


def test_a_short_body_is_extracted_again_from_a_fresh_parse_with_the_fallbacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    long_text = "\n".join(PARAGRAPHS * 5)
    calls = _fake_extraction(monkeypatch, "Home\nNews\nSport", long_text)
    page = extract_page(_page(), "https://example.org/breakwater")
    assert page.paragraphs == PARAGRAPHS * 5
    assert page.title == "fast"  # the metadata of the first pass, not read a second time
    assert [fast for fast, _ in calls] == [True, False]
    assert calls[0][1] != calls[1][1]  # the first extraction pruned its tree


def test_a_long_enough_body_is_extracted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_extraction(monkeypatch, "\n".join(PARAGRAPHS * 3), "other")
    assert extract_page(_page(), "https://example.org/breakwater").paragraphs == PARAGRAPHS * 3
    assert [fast for fast, _ in calls] == [True]


LONG = "The council voted on Tuesday to close the old bridge to lorries until the spring repairs."
OTHER = "Drivers of heavy goods vehicles will be sent through the ring road from next Monday on."
SHORT = "Advertisement"


K_LONG, K_OTHER = paragraph_key(LONG), paragraph_key(OTHER)


@pytest.mark.parametrize(
    ("body", "repeated", "expected"),
    [
        # the page prints a paragraph twice in a row; trafilatura kept it once
        ((LONG, OTHER), {K_LONG: 2}, (LONG, LONG, OTHER)),
        # three times, and the body holds two of them: the third goes after the last
        ((LONG, OTHER, LONG), {K_LONG: 3}, (LONG, OTHER, LONG, LONG)),
        # as often in the body as in the page's run: nothing to put back
        ((LONG, OTHER, LONG), {K_LONG: 2}, (LONG, OTHER, LONG)),
        # the body holds the page paragraph as two lines: both lines come back, in order
        ((LONG[:28], LONG[29:], OTHER), {K_LONG: 2}, (LONG[:28], LONG[29:]) * 2 + (OTHER,)),
        # a line holding the paragraph and more is not the paragraph
        ((f"{LONG} {OTHER}",), {K_LONG: 2}, (f"{LONG} {OTHER}",)),
        # a paragraph the page repeats but the body left out stays out
        ((OTHER,), {K_LONG: 2}, (OTHER,)),
        ((), {K_LONG: 2}, ()),
        ((LONG,), {}, (LONG,)),
    ],
)
def test_paragraphs_the_page_repeats_are_put_back_as_often_as_it_prints_them(
    body: tuple[str, ...], repeated: dict[str, int], expected: tuple[str, ...]
) -> None:
    assert restore_adjacent_repeats(body, repeated) == expected


def test_a_body_of_many_lines_is_read_once_per_line_that_starts_no_repeat() -> None:
    lines = tuple(f"Line {n} of a long transcript that goes on." for n in range(20_000))
    long_repeat = " ".join(lines[:50])
    restored = restore_adjacent_repeats(lines, {paragraph_key(long_repeat): 2})
    assert restored == lines[:50] * 2 + lines[50:]


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        ((LONG, LONG, OTHER), {K_LONG: 2}),
        ((LONG, OTHER, LONG, LONG), {K_LONG: 2}),  # the longest run, not every copy
        ((LONG, LONG, LONG, OTHER, LONG, LONG), {K_LONG: 3}),
        ((LONG, OTHER, LONG), {}),  # never twice in a row: not what the guard deletes
        ((SHORT, SHORT, LONG), {}),  # short lines repeat legitimately and are kept anyway
    ],
)
def test_the_page_paragraphs_printed_twice_in_a_row(
    paragraphs: tuple[str, ...], expected: dict[str, int]
) -> None:
    html = "<html><body>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</body></html>"
    tree = trafilatura.load_html(html)
    assert has_repeat(tuple(paragraphs)) == (LONG in paragraphs and paragraphs.count(LONG) > 1)
    assert repeated_on_page(tree) == expected


def test_hidden_paragraphs_are_not_what_the_page_prints() -> None:
    html = (
        f"<html><body><p>{LONG}</p><p hidden>{LONG}</p><p style='display: none'>{LONG}</p>"
        f"<div aria-hidden='true'><p>{LONG}</p></div><p>{OTHER}</p></body></html>"
    )
    assert repeated_on_page(trafilatura.load_html(html)) == {}


def _body_of(*paragraphs: str) -> tuple[str, ...]:
    html = f"<html><body><article><h1>Bridge</h1>{''.join(paragraphs)}</article></body></html>"
    return extract_page(html.encode(), "https://example.org/bridge").paragraphs


def test_a_page_repeating_a_paragraph_keeps_the_repeat_in_its_body() -> None:
    paragraphs = [f"<p>{text}</p>" for text in (LONG, LONG, OTHER, OTHER, OTHER)]
    assert _body_of(*paragraphs) == (LONG, LONG, OTHER, OTHER, OTHER)


def test_copies_a_hidden_paragraph_keeps_apart_in_the_body_are_not_added_to() -> None:
    # trafilatura keeps the hidden paragraph here, so its guard deleted nothing
    body = _body_of(f"<p>{LONG}</p>", f"<p hidden>{OTHER}</p>", f"<p>{LONG}</p>")
    assert body == (LONG, OTHER, LONG)


def test_a_repeated_paragraph_broken_in_lines_comes_back_whole() -> None:
    broken = f"<p>{LONG}<br>{OTHER}</p>"
    assert _body_of(broken, broken) == (LONG, OTHER, LONG, OTHER)
