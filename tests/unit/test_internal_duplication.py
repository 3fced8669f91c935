"""Internal duplication on the project's own fixtures (not the shared seed file)."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.dedupe.body import Body
from workers.dedupe.internal_duplication import internal_duplication
from workers.dedupe.normalize import normalize_paragraphs
from workers.dedupe.prepared import (
    body_on_page,
    body_repeats,
    duplication_report,
    page_sharing_body,
)

P = [
    "The ferry operator said on Saturday that the first crossing would leave at seven.",
    "Passengers who missed a sailing during the storm can rebook without paying a fee.",
    "The harbour master warned that the swell outside the breakwater was still heavy.",
    "Two extra sailings have been added on Sunday to clear the queue of delivery vans.",
    "Island schools closed on Friday because teachers could not travel from the mainland.",
    "A spokesman for the port authority thanked crews who worked through the night.",
    "The island's only supermarket ran out of fresh milk and bread by Friday afternoon.",
    "Forecasters expect calmer weather for the rest of the week, with light winds.",
    "The council will review whether the new breakwater should be extended next year.",
    "Fishing boats stayed in the inner basin and none was damaged, the harbour said.",
    "The operator apologised for the disruption and promised a full timetable by Monday.",
]
ARABIC = [
    "وقال المتحدث باسم الوزارة في بيان إن المحادثات ستستمر خلال الأيام المقبلة في العاصمة",
    "وأضاف أن الوفدين اتفقا على تشكيل لجنة فنية لمتابعة تنفيذ ما تم التوصل إليه من تفاهمات",
    "وأشار إلى أن الاجتماع المقبل سيعقد بعد أسبوعين بحضور ممثلين عن المنظمات الدولية المعنية",
    "من جهته رحب رئيس البرلمان بنتائج الجولة الأولى ودعا إلى الإسراع في إقرار القوانين اللازمة",
    "وكانت الحكومة قد أعلنت الشهر الماضي عن خطة لإصلاح قطاع الكهرباء تمتد على خمس سنوات كاملة",
    "ويتوقع خبراء أن تسهم هذه الخطوات في تحسين الأوضاع الاقتصادية خلال العام المقبل بشكل ملموس",
]

BALLOT = ["1- Mohamed Salah of Liverpool", "2- Luka Modric of Real Madrid", "3- Cristiano Ronaldo"]

CASES = [
    # name, paragraphs, pattern, repeated indexes, repaired length
    ("clean", P, "none", [], 11),
    ("seed-shape-paragraphs-2-to-11-twice", P + P[1:], "whole_body_repeat", list(range(11, 21)), 11),
    ("adjacent-doubling", [p for p in P[:4] for _ in (0, 1)], "adjacent_doubling", [1, 3, 5, 7], 4),
    ("repeated-block-in-the-middle", P[:6] + P[2:4] + P[6:], "repeated_blocks", [6, 7], 11),
    ("interleaved-single-repeats", [*P[:5], P[1], *P[5:8], P[3], *P[8:]], "interleaved", [5, 9], 11),
    ("arabic-vowelled-copy", [*ARABIC, "وَأَشَارَ" + ARABIC[2][5:]], "interleaved", [6], 6),
    ("near-exact-repeat-with-a-typo", [*P[:3], P[1].replace("operator", "operater")], "interleaved", [3], 3),
    ("short-lines-repeat-freely", ["Advertisement", P[0], "Advertisement", P[1], "Read more", "Read more"],
     "none", [], 6),
    ("short-lines-printed-again-as-a-block", [" ".join(P), "Source: the port authority", "Photos by the harbour office",
     "Source: the port authority", "Photos by the harbour office"], "whole_body_repeat", [3, 4], 3),
    ("two-short-lines-again-too-few-words", [P[0], "Read more", "Share this", "Read more", "Share this"],
     "none", [], 5),
    ("blank-and-short-lines-inside-a-block-go-with-it", [P[0], P[1], "***", "Photo: AFP", "***", P[2], P[1],
     "***", "Photo: AFP", "***", P[2]], "whole_body_repeat", [6, 7, 8, 9, 10], 6),
    ("a-ballot-cast-twice-is-not-a-copy", [P[0], "Voter one", *BALLOT, "Voter two", *BALLOT], "none", [], 9),
]  # fmt: skip


@pytest.mark.parametrize(
    ("paragraphs", "pattern", "repeated", "repaired_length"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_internal_duplication(
    paragraphs: list[str], pattern: str, repeated: list[int], repaired_length: int
) -> None:
    found = internal_duplication(paragraphs)
    assert found.pattern == pattern
    assert [r.index for r in found.repeats] == repeated
    assert len(found.repaired) == repaired_length
    assert found.detected == bool(repeated)


def test_repair_keeps_first_occurrences_in_order() -> None:
    found = internal_duplication(P + P[1:])
    assert list(found.repaired) == P
    assert [r.first_index for r in found.repeats] == list(range(1, 11))
    assert found.repeated_share == pytest.approx(
        sum(map(len, P[1:])) / sum(map(len, P + P[1:])), abs=1e-4
    )


def test_page_sequence_reveals_what_extraction_collapsed() -> None:
    # trafilatura dropped the adjacent repeat: the body is clean, the page is not.
    body = P[:4]
    page = ["Home", "World", P[0], P[1], P[1], P[2], P[3], "Home"]
    repaired, report = duplication_report(Body.of(body), page)
    assert list(repaired.repaired) == body
    assert report["detected"] and report["found_in"] == "page"
    assert report["pattern"] == "adjacent_doubling"


def test_clean_body_and_page_report_nothing() -> None:
    _, report = duplication_report(Body.of(P), ["Home", *P, "Home"])
    assert not report["detected"] and report["found_in"] == "none" and report["repeats"] == []


# Pages around a body: lines of their own, the body's paragraphs (some as another case,
# which normalizes to the same), in any order, so that the body is sometimes on the page
# word for word and sometimes not.
PAGE_LINES = st.sampled_from(["Home", "HOME", "", "...", P[0], P[0].upper(), P[1], P[2], P[3]])


@settings(max_examples=300, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(st.lists(PAGE_LINES, max_size=5), st.lists(PAGE_LINES, max_size=5), st.booleans())
def test_the_pages_body_paragraphs_are_found_however_the_page_holds_them(
    before: list[str], after: list[str], whole_body: bool
) -> None:
    body = Body.of([P[0], P[1], "", P[2]])
    page = [*before, *(body.paragraphs if whole_body else ()), *after]
    kept = set(normalize_paragraphs(body.paragraphs))
    normalized = normalize_paragraphs(page)
    expected = [i for i, text in enumerate(normalized) if text in kept]
    found, found_normalized = body_on_page(page, body)
    assert found == expected
    if found_normalized is None:  # said to be the body itself
        found_normalized = normalize_paragraphs(body.paragraphs)
    assert found_normalized == [normalized[i] for i in expected]


@pytest.mark.parametrize(
    ("page", "shared"),
    [
        (["Home", "P0", "P1", "Footer"], [1, 2]),  # the body word for word: its strs
        (["P0", "P1"], [0, 1]),
        (["P1", "P0", "P1"], [1, 2]),  # from the first place that holds it whole
        (["P0", "Home", "P1"], []),  # not in a row: the page as it was
        (["P1"], []),
        ([], []),
    ],
)
def test_the_page_written_out_shares_the_bodys_strs_and_keeps_its_text(
    page: list[str], shared: list[int]
) -> None:
    # Made at run time, so that equal texts are distinct objects, as JSON decodes them.
    body = ["".join(["P", "0"]), "".join(["P", "1"])]
    written = page_sharing_body(page, body)
    assert written == page
    assert [i for i, text in enumerate(written) if any(text is b for b in body)] == shared


# Bodies that may repeat themselves: paragraphs drawn from a few, some near-exact copies.
NEAR_P0 = P[0].removesuffix(".") + " again."  # one word pair more: near-exact
BODY_LINES = st.sampled_from([P[0], P[1], P[2], NEAR_P0, P[0].upper(), "Home", ""])


@settings(max_examples=300, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(st.lists(BODY_LINES, max_size=8))
def test_a_body_told_clean_by_its_fingerprints_is_what_the_full_search_finds(
    paragraphs: list[str],
) -> None:
    assert body_repeats(Body.of(paragraphs)) == internal_duplication(paragraphs)
