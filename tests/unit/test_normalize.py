import os
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workers.dedupe.normalize import body_folder, fold_char, normalize_text, tokens

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


HARAKAT = [chr(c) for c in (*range(0x064B, 0x0653), 0x0670)]


def _second_characters_of_compositions() -> dict[str, int]:
    """Every character that NFC composes onto the one before it, with its combining class:
    the second of each canonical pair decomposition whose composite NFC keeps."""
    seconds = {}
    for cp in range(sys.maxunicode + 1):
        decomposition = unicodedata.decomposition(chr(cp)).split()
        canonical_pair = len(decomposition) == 2 and not decomposition[0].startswith("<")
        if canonical_pair and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
            second = chr(int(decomposition[1], 16))
            seconds[second] = unicodedata.combining(second)
    return seconds


def test_what_folding_vowelled_text_without_its_harakat_rests_on() -> None:
    # normalize._nfkc drops the harakat before NFKC when the rest is NFKC; that folds as
    # the NFKC form does only while these hold in the running Python's unicodedata.
    classes = {unicodedata.combining(h) for h in HARAKAT}
    assert classes <= set(range(27, 36))
    assert all(unicodedata.decomposition(h) == "" for h in HARAKAT)
    seconds = _second_characters_of_compositions()
    assert not set(HARAKAT) & set(seconds)
    assert not {c for c, ccc in seconds.items() if ccc in classes}
    assert all(fold_char(h) == "" for h in HARAKAT)


# Characters after which NFKC reorders, composes or decomposes: Arabic letters, Latin,
# Hangul jamo (composed algorithmically), compatibility jamo, presentation forms, kana...
BASES = st.sampled_from([
    "ب", "ا", "و", "ي", "ه", "e", "=", "\u1100", "\u1161", "\u314f", "\uac00", "\u304b",
    "\ufe70", "\ufc5e", "\ufef7", " ", "\u00a0", "\u00e9",
])  # fmt: skip
# ...followed by marks: the harakat, the Arabic marks that compose, others that compose
# (accents, an overlay, a kana voicing mark) or that are starters composing (jamo).
MARKS = st.sampled_from([
    *HARAKAT, "\u0653", "\u0654", "\u0655", "\u0618", "\u0301", "\u0327", "\u0338",
    "\u3099", "\u1161", "\u11a8",
])  # fmt: skip
LETTERS_WITH_MARKS = st.tuples(BASES, st.lists(MARKS, max_size=4)).map(
    lambda t: t[0] + "".join(t[1])
)


@settings(max_examples=500, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(st.lists(LETTERS_WITH_MARKS, max_size=5).map("".join))
def test_text_folds_as_its_nfkc_form_does(text: str) -> None:
    assert normalize_text(text) == body_folder().normalize(unicodedata.normalize("NFKC", text))
