import os
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.dedupe.body import DEFAULT_HASHER, Body, fingerprinter_for
from workers.dedupe.normalize import (
    HARAKAT_CHARS,
    body_folder,
    composing_onto_the_one_before,
    fold_char,
    normalize_paragraphs,
    normalize_text,
    tokens,
)

CASES = [
    ("case-and-punctuation", "Hello, World!  Again…", "hello world again"),
    ("nfkc-ligature-and-width", "ﬁnal ＡＢＣ", "final abc"),
    ("german-sharp-s-casefold", "STRASSE straße", "strasse strasse"),
    ("arabic-harakat-removed", "كَتَبَ الوَلَدُ", "كتب الولد"),
    ("arabic-tatweel-removed", "الأخـــبار", "الاخبار"),
    ("arabic-alef-forms-unified", "أحمد إلى آخر ٱلله", "احمد الي اخر الله"),
    ("arabic-alef-maqsura", "مستشفى", "مستشفي"),
    ("arabic-indic-digits", "عام ٢٠٢٦ و۱۴", "عام 2026 و14"),
    ("arabic-punctuation", "قال، «نعم»؛ لا؟", "قال نعم لا"),
    ("superscript-alef", "هٰذا", "هذا"),
    ("bidi-and-zero-width", "a\u200bb \u202bc\u202c \u2067d\u2069 \ufeffe", "ab c d e"),
    ("whitespace-folded", " a\t\n b\u00a0c ", "a b c"),
]


@pytest.mark.parametrize(("given", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_normalize_text(given: str, expected: str) -> None:
    assert normalize_text(given) == expected


def test_vowelled_and_plain_arabic_give_the_same_tokens() -> None:
    vowelled = "أَعْلَنَتِ الحُكُومَةُ عَنْ خُطَّةٍ جَدِيدَةٍ"
    plain = "اعلنت الحكومة عن خطة جديدة"
    assert tokens(vowelled) == tokens(plain)


def test_two_different_vowelled_texts_stay_different() -> None:
    # trafilatura's own fingerprint maps fully vowelled Arabic to one constant; ours must not.
    assert tokens("ذَهَبَ الوَلَدُ إِلَى المَدْرَسَةِ") != tokens("أَكَلَ القِطُّ السَّمَكَةَ")


def test_text_of_only_punctuation_has_no_tokens() -> None:
    assert tokens("… — ! ؟ «»") == []


HARAKAT = sorted(HARAKAT_CHARS)


def test_what_folding_vowelled_text_without_its_harakat_rests_on() -> None:
    # normalize._nfkc drops the harakat before NFKC when the rest is NFKC; that folds as
    # the NFKC form does only while these hold in the running Python's unicodedata.
    classes = {unicodedata.combining(h) for h in HARAKAT}
    assert classes <= set(range(27, 36))
    assert all(unicodedata.decomposition(h) == "" for h in HARAKAT)
    seconds = composing_onto_the_one_before()
    assert not set(HARAKAT) & seconds
    assert not {c for c in seconds if unicodedata.combining(c) in classes}
    assert all(fold_char(h) == "" for h in HARAKAT)


# Characters after which NFKC reorders, composes or decomposes: Arabic letters, Latin,
# Hangul jamo (composed algorithmically), compatibility jamo, presentation forms, kana...
BASE_CHARS = [
    "ب",
    "ا",
    "و",
    "ي",
    "ه",
    "e",
    "=",
    "\u1100",
    "\u1161",
    "\u314f",
    "\uac00",
    "\u304b",
    "\ufe70",
    "\ufc5e",
    "\ufef7",
    " ",
    "\u00a0",
    "\u00e9",
    "…",
    "ﬁ",
    "™",
    "Ａ",
    "½",
    "😀",
]
# ...followed by marks: the harakat, the Arabic marks that compose, others that compose
# (accents, an overlay, a kana voicing mark) or that are starters composing (jamo).
MARK_CHARS = [
    *HARAKAT,
    "\u0653",
    "\u0654",
    "\u0655",
    "\u0618",
    "\u0301",
    "\u0327",
    "\u0338",
    "\u3099",
    "\u1161",
    "\u11a8",
]
LETTERS_WITH_MARKS = st.tuples(
    st.sampled_from(BASE_CHARS), st.lists(st.sampled_from(MARK_CHARS), max_size=4)
).map(lambda t: t[0] + "".join(t[1]))


@settings(max_examples=500, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(st.lists(LETTERS_WITH_MARKS, max_size=5).map("".join))
def test_text_folds_as_its_nfkc_form_does(text: str) -> None:
    assert normalize_text(text) == body_folder().normalize(unicodedata.normalize("NFKC", text))


def test_a_body_read_before_nfkc_folds_as_after_it() -> None:
    # Body.of folds the paragraphs as they are when every character reads_raw: every pair
    # of the characters above, side by side and with a haraka between (the edges where
    # NFKC composes, reorders or is blocked), as one paragraph each.
    chars = sorted({*BASE_CHARS, *MARK_CHARS})
    pairs = [a + b for a in chars for b in chars]
    texts = [*pairs, *(a + h + b for a in chars for b in chars for h in HARAKAT[::4])]
    assert [Body.of([t]).normalized[0] for t in texts] == normalize_paragraphs(texts)


@pytest.mark.parametrize(
    ("text", "read_raw"),
    [
        ("قال\u064e إن\u0651\u064e\u00a0الاجتماع…", True),  # shadda before fatha, NBSP, …
        ("ﻷ ﺍﻟﻌﺮﺑﻴﺔ ﬁnal ＡＢＣ", True),  # presentation forms, ligature, fullwidth
        ("cafe\u0301", False),  # a combining accent composes onto the letter before it
        ("news 😀", False),  # beyond the BMP
    ],
)
def test_which_bodies_are_read_before_nfkc(text: str, read_raw: bool) -> None:
    assert (fingerprinter_for(DEFAULT_HASHER).fingerprint([text], True) is not None) == read_raw
