"""The native reader of fastText models (native/src/language_id.rs) against fastText itself
(fasttext-predict) on lid.176: for any text, the same label and the same float, and a clear
error for a file it cannot read."""

from __future__ import annotations

import os
from collections.abc import Callable

import fasttext
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from newsflow_native import LanguageModel

from workers.tag.language import LanguageDetector, load_model, model_path


@pytest.fixture(scope="module")
def native() -> LanguageModel:
    return load_model()


@pytest.fixture(scope="module")
def reference() -> fasttext.FastText._FastText:
    return fasttext.load_model(str(model_path()))


def fasttext_says(model: fasttext.FastText._FastText, text: str) -> tuple[str, float] | None:
    """What fastText predicts for the text as the detector used to hand it over."""
    labels, probabilities = model.predict(" ".join(text.split()), k=1)
    if not labels:
        return None
    return str(labels[0]).removeprefix("__label__"), float(probabilities[0])


CASES = {
    "english": ("The committee approved the budget after a long debate on Tuesday.", "en"),
    "french": ("Le gouvernement a annoncé mardi de nouvelles mesures pour l'emploi.", "fr"),
    "spanish": ("El presidente se reunió con los ministros para hablar de la economía.", "es"),
    "german": (
        "Die Regierung hat am Dienstag neue Maßnahmen für die Wirtschaft beschlossen.",
        "de",
    ),
    "russian": ("Правительство объявило во вторник о новых мерах поддержки экономики.", "ru"),
    "arabic": ("أعلنت الحكومة يوم الثلاثاء عن إجراءات جديدة لدعم الاقتصاد الوطني.", "ar"),
    "arabic vowelled": ("ذَهَبَ الوَلَدُ إِلَى المَدْرَسَةِ فِي الصَّبَاحِ البَاكِرِ", "ar"),
    "chinese": ("政府周二宣布了支持经济的新措施，包括减税和增加投资。", "zh"),
    "japanese": ("政府は火曜日、経済を支援するための新たな措置を発表した。", "ja"),
    "persian": ("دولت روز سه شنبه اقدامات جدیدی را برای حمایت از اقتصاد اعلام کرد.", "fa"),
}


@pytest.mark.parametrize(("text", "language"), CASES.values(), ids=CASES.keys())
def test_languages_as_fasttext_names_them(
    native: LanguageModel, reference: fasttext.FastText._FastText, text: str, language: str
) -> None:
    predicted = native.predict(text)
    assert predicted is not None and predicted[0] == language
    assert predicted == fasttext_says(reference, text)


EDGES = {
    "label-looking tokens are skipped": "__label__en __label__xx bonjour le monde",
    "an end-of-sentence token ends the line": "hello world </s> bonjour le monde entier",
    "NUL splits tokens": "hello\x00world\x00this is text",
    "Unicode blanks split tokens": "hola\u00a0mundo\u2003que\u3000tal\x1cestas\x1f bien",
    "newlines and tabs": "first line\nsecond\tline\r\nthird",
    "one long unknown word": "x" * 500,
    "digits and punctuation": "2024-01-01 12:30 — 99.5% (+3)",
    "emoji and marks": "😀 👍🏽 é ́ ﷽",
}


@pytest.mark.parametrize("text", EDGES.values(), ids=EDGES.keys())
def test_edges_as_fasttext(
    native: LanguageModel, reference: fasttext.FastText._FastText, text: str
) -> None:
    assert native.predict(text) == fasttext_says(reference, text)


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list("abcdefghij éüß абвгд αβγ أبتثجحخ ىةء 中文日本 한국 \t\x00\xa0\u2003")
        ),
        st.characters(codec="utf-8"),
    ),
    max_size=120,
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
@given(TEXT)
def test_any_text_as_fasttext(
    native: LanguageModel, reference: fasttext.FastText._FastText, text: str
) -> None:
    assert native.predict(text) == fasttext_says(reference, text)


def test_text_without_tokens_still_reaches_the_end_of_sentence_row(
    native: LanguageModel, reference: fasttext.FastText._FastText
) -> None:
    # lid.176 has "</s>" in its vocabulary, so even a blank line gets fastText's answer.
    assert native.predict("   ") is not None
    assert native.predict("   ") == fasttext_says(reference, "   ")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda raw: raw[: len(raw) // 2], "ends inside"),
        (lambda raw: raw[:1000], "cannot fit in the file"),
        (lambda raw: b"\x00\x00\x00\x00" + raw[4:], "magic number"),
        (lambda raw: raw + b"\x00", "bytes after the output matrix"),
        (lambda raw: raw[:4] + (11).to_bytes(4, "little") + raw[8:], "version 11"),
    ],
    ids=[
        "truncated",
        "cut inside its dictionary",
        "not fastText",
        "trailing bytes",
        "other version",
    ],
)
def test_a_damaged_model_file_is_refused_with_the_reason(
    damage: Callable[[bytes], bytes], message: str
) -> None:
    raw = model_path().read_bytes()
    with pytest.raises(ValueError, match=message):
        LanguageModel(damage(raw))


def _with_first_pruned_row(raw: bytes, row: int) -> bytes:
    """The model with its first pruned n-gram sent to input row `row` (fastText's layout:
    a 64-byte header of args, the dictionary's counts, its entries, then the pruned pairs)."""
    size = int.from_bytes(raw[64:68], "little")
    at = 64 + 12 + 16
    for _ in range(size):
        at = raw.index(b"\0", at) + 1 + 9  # the word, its NUL, its count and type
    pair = at + 4  # (bucket, row): the row
    return raw[:pair] + row.to_bytes(4, "little") + raw[pair + 4 :]


def test_a_model_whose_ngrams_point_past_its_matrix_is_refused() -> None:
    raw = model_path().read_bytes()
    assert LanguageModel(_with_first_pruned_row(raw, 0)).predict("bonjour") is not None
    with pytest.raises(ValueError, match="n-gram rows reach"):
        LanguageModel(_with_first_pruned_row(raw, 10_000_000))


def test_the_detector_falls_back_below_its_minimum(native: LanguageModel) -> None:
    detector = LanguageDetector(native)
    assert detector.detect("short") is None
    found = detector.detect(CASES["arabic"][0] * 2)
    assert found is not None and found[0] == "ar" and 0.5 < found[1] <= 1.0
