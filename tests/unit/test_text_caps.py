"""How much text an article or an entry may carry: cut at a paragraph's end, said so."""

import json

import pytest

from ingest.extract import Extraction
from ingest.extract_stage import build_article
from ingest.text_caps import MAX_TITLE_BYTES, cap_entry, cap_paragraphs
from schemas.contracts import check, example
from schemas.limits import cut_text

CAP_CASES = [
    ("all fit", ["aaaa", "bbbb"], 10, ["aaaa", "bbbb"], False, 10),
    ("exactly at the cap", ["aaaa", "bbbb"], 10, ["aaaa", "bbbb"], False, 10),
    ("the second does not fit", ["aaaa", "bbbb"], 9, ["aaaa"], True, 10),
    ("blank lines count", ["aaa", "bbb", "ccc"], 8, ["aaa", "bbb"], True, 13),
    ("arabic counts in bytes", ["خبر", "عاجل"], 8, ["خبر"], True, 16),
    ("the first alone is cut at a word", ["one two three four"], 11, ["one two"], True, 18),
    ("nothing", [], 10, [], False, 0),
]


@pytest.mark.parametrize(
    ("paragraphs", "max_bytes", "kept", "truncated", "original"),
    [case[1:] for case in CAP_CASES],
    ids=[case[0] for case in CAP_CASES],
)
def test_cap_paragraphs(
    paragraphs: list[str], max_bytes: int, kept: list[str], truncated: bool, original: int
) -> None:
    capped = cap_paragraphs(paragraphs, max_bytes)
    assert list(capped.paragraphs) == kept
    assert (capped.truncated, capped.original_bytes) == (truncated, original)


CUT_CASES = [
    ("fits", "short text", 20, "short text"),
    ("never inside a character", "ééééé", 5, "éé"),
    ("at a word's end", "alpha beta gamma", 13, "alpha beta"),
    ("no space near the cut", "x" * 500, 300, "x" * 300),
]


@pytest.mark.parametrize(
    ("text", "max_bytes", "expected"), [c[1:] for c in CUT_CASES], ids=[c[0] for c in CUT_CASES]
)
def test_cut_text(text: str, max_bytes: int, expected: str) -> None:
    assert cut_text(text, max_bytes) == expected


def _page(title: str, paragraphs: tuple[str, ...]) -> Extraction:
    return Extraction(title, paragraphs, None, None, None, None, page_paragraphs=paragraphs)


def _entry() -> dict[str, object]:
    return dict(example("entry.v1"))


def test_a_long_page_makes_a_truncated_article_within_the_cap() -> None:
    paragraphs = tuple(f"Paragraph {n} " + "word " * 200 for n in range(2000))  # about 2 MB
    page = _page("t" * 10_000, paragraphs)
    article = build_article(_entry(), page, "https://example.com/a", "fetched", 64 * 1024)
    check("article.v1", article)
    assert article["truncated"] is True
    assert article["original_body_bytes"] == len("\n\n".join(paragraphs).encode())
    assert len(article["body"].encode()) <= 64 * 1024
    assert article["paragraphs"] == list(paragraphs[: len(article["paragraphs"])])
    assert len(article.get("page_paragraphs", [])) == len(article["paragraphs"])
    assert len(article["title"].encode()) <= MAX_TITLE_BYTES
    assert len(json.dumps(article).encode()) < 4 * 64 * 1024


def test_an_article_within_the_cap_says_nothing_of_truncation() -> None:
    page = _page("t", ("a " * 200,))
    article = build_article(_entry(), page, "https://example.com/a", "fetched", 64 * 1024)
    assert "truncated" not in article and "original_body_bytes" not in article


def test_an_entry_with_megabytes_of_text_is_capped_and_says_so() -> None:
    entry = {**_entry(), "summary": "s " * 1_000_000, "content": "c " * 1_000_000, "title": "t"}
    capped = cap_entry(entry, 100_000)  # type: ignore[arg-type]
    check("entry.v1", capped)
    assert capped["truncated"] is True
    assert len((capped["summary"] or "").encode()) <= 100_000
    assert len((capped["content"] or "").encode()) <= 100_000
    assert cap_entry(example("entry.v1"), 100_000) == example("entry.v1")  # type: ignore[arg-type]


def test_a_feed_text_cut_by_the_poller_makes_a_truncated_article() -> None:
    entry = {**_entry(), "content": "<p>" + "word " * 300 + "</p>", "truncated": True}
    article = build_article(entry, None, None, "fetch failed", 64 * 1024)
    assert article["body_source"] != "page" and article["truncated"] is True


def test_a_body_from_the_page_description_is_not_the_cut_feed_text() -> None:
    entry = {**_entry(), "summary": None, "content": None, "truncated": True}
    page = Extraction("t", (), None, None, None, None, description="What the story is about.")
    article = build_article(entry, page, "https://example.org/a", "fetched", 64 * 1024)
    check("article.v1", article)
    assert article["body_source"] == "page_description" and "truncated" not in article
