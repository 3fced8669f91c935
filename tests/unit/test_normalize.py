import pytest

from workers.dedupe.normalize import normalize_text, tokens

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
