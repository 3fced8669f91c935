"""The compiled loops (native/src/) against the rules as the Python modules state them:
normalization character by character, and the fingerprint arithmetic in numpy. Any text,
any paragraph shape: the same words, hashes, shingles, signatures and sketches."""

from __future__ import annotations

import os
import unicodedata
import zlib
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.dedupe_index import LAYOUT
from workers.dedupe.body import (
    DEFAULT_HASHER,
    MAX_PARAGRAPH_KEYS,
    Body,
    BodyMinHash,
    fingerprinter_for,
)
from workers.dedupe.internal_duplication import (
    MAX_NEAR_PARAGRAPHS,
    MIN_CHARS_WITHOUT_SPACES,
    MIN_TOKENS,
    SKETCH_AGREEMENT,
    is_substantial,
)
from workers.dedupe.minhash import (
    _MIX,
    MinHasher,
    Words,
    agreeing_pairs,
    paragraph_sketches,
    sketch_hasher,
)
from workers.dedupe.normalize import (
    ARABIC_MARKS,
    INVISIBLE,
    body_folder,
    fold_char,
    normalize_paragraphs,
    normalize_text,
    paragraph_fingerprint,
)
from workers.dedupe.verdicts import text_hash

BUDGET = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
# Text that exercises every rule: Arabic letters, marks, alef forms and digits; Latin with
# case; punctuation; invisible controls; CJK; characters beyond the BMP (emoji, Deseret).
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("أإآٱاىيكتب٠١٢۳ـًٌٍَُِّْٰ،؛؟«»")),
        st.sampled_from(list(ARABIC_MARKS + INVISIBLE + "ßİﬁＡΣς\x1e\x1c\xa0\u2028 \t\n.,-—")),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


def reference_normalize(text: str, *, casefold: bool = True) -> str:
    """normalize.py's rules (fold_char), one character at a time of the whole text's NFKC
    and case folding: what the folding table and its compiled loop must give."""
    forms = unicodedata.normalize("NFKC", text)
    forms = forms.casefold() if casefold else forms
    return " ".join("".join(map(fold_char, forms)).split())


@BUDGET
@given(TEXT, st.booleans())
def test_normalize_text_follows_the_rules_character_by_character(text: str, casefold: bool) -> None:
    assert normalize_text(text, casefold=casefold) == reference_normalize(text, casefold=casefold)


@BUDGET
@given(st.lists(TEXT, max_size=6), st.booleans())
def test_paragraphs_fold_one_by_one_even_when_one_holds_the_separator(
    paragraphs: list[str], casefold: bool
) -> None:
    expected = [reference_normalize(p, casefold=casefold) for p in paragraphs]
    assert normalize_paragraphs(paragraphs, casefold=casefold) == expected


def test_a_lone_surrogate_is_a_word_break_not_an_error() -> None:
    assert normalize_text("abc\ud800def") == "abc def"
    assert Body.of(["abc\ud800def", "x"]).normalized == ("abc def", "x")
    assert normalize_paragraphs(["x\udfffy", "z"]) == ["x y", "z"]


def test_beyond_the_bmp_characters_are_kept_and_case_folded() -> None:
    assert normalize_text("😀 𐐀") == "😀 𐐨"  # Deseret capital long I folds to its small form


def reference_word_hashes(text: str) -> npt.NDArray[np.uint64]:
    words = text.split(" ") if text else []
    return np.array([zlib.crc32(w.encode()) for w in words], dtype=np.uint64)


def reference_shingles(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    if len(words) < 3:
        return np.unique(words)
    with np.errstate(over="ignore"):
        return np.unique(words[:-2] * _MIX[0] + words[1:-1] * _MIX[1] + words[2:] * _MIX[2])


def reference_minimums(hasher: MinHasher, values: npt.NDArray[np.uint64]) -> list[int]:
    a, b = (np.frombuffer(p, dtype="<u8").reshape(-1, 1) for p in hasher.permutations)
    if values.size == 0:
        return [2**32 - 1] * len(a)
    with np.errstate(over="ignore"):
        permuted = (a * values.reshape(1, -1) + b) >> np.uint64(32)
    return [int(v) for v in permuted.min(axis=1)]


PARAGRAPHS = st.lists(
    st.lists(st.sampled_from(["a", "b", "c", "d", "الخبر", "في", "x1"]), max_size=12).map(" ".join),
    max_size=8,
)


@BUDGET
@given(PARAGRAPHS)
def test_word_hashes_shingles_and_signature_match_numpy(paragraphs: list[str]) -> None:
    words = Words.of(paragraphs)
    assert words.hashes.tolist() == reference_word_hashes(words.text).tolist()
    shingles = words.shingles()
    if not words.no_spaces_script():
        assert shingles.tolist() == reference_shingles(words.hashes).tolist()
    hasher = MinHasher()
    signature = hasher.signature(shingles)
    assert signature.tolist() == reference_minimums(hasher, shingles)


def test_band_keys_mix_each_band_of_rows() -> None:
    hasher = MinHasher(bands=2, rows=3)
    signature = np.array([1, 2, 3, 4, 5, 2**32 - 1], dtype=np.uint32)
    with np.errstate(over="ignore"):
        expected = [
            (np.uint64(1) * _MIX[0] + np.uint64(2) * _MIX[1] + np.uint64(3) * _MIX[2]),
            (np.uint64(4) * _MIX[0] + np.uint64(5) * _MIX[1] + np.uint64(2**32 - 1) * _MIX[2]),
        ]
    assert hasher.band_keys(signature) == [int(k).to_bytes(8, "little") for k in expected]


@BUDGET
@given(PARAGRAPHS)
def test_paragraph_sketches_are_minhashes_of_each_paragraphs_word_pairs(
    paragraphs: list[str],
) -> None:
    words = Words.of(paragraphs)
    sketches = paragraph_sketches(words, k=4)
    hasher = MinHasher(bands=4, rows=1, seed=611)
    start = 0
    for row, count in zip(sketches.tolist(), words.counts, strict=True):
        tokens = words.hashes[start : start + count]
        start += count
        with np.errstate(over="ignore"):
            pairs = tokens[:-1] * _MIX[0] + tokens[1:] * _MIX[1]
        assert row == reference_minimums(hasher, pairs)


def test_agreeing_pairs_lists_earlier_rows_in_row_order() -> None:
    sketches = np.array([[1, 2, 3], [1, 2, 9], [7, 8, 9], [1, 2, 3]], dtype=np.uint32)
    assert agreeing_pairs(sketches, 2) == [(1, 0), (3, 0), (3, 1)]
    assert agreeing_pairs(sketches, 3) == [(3, 0)]


def fingerprinter_arguments(**changed: object) -> dict[str, object]:
    """BodyFingerprinter's keyword arguments as body.py passes them, with `changed` instead."""
    arguments: dict[str, object] = {
        "folder": body_folder(),
        "permutations": DEFAULT_HASHER.permutations,
        "rows_per_band": DEFAULT_HASHER.rows,
        "sketch_permutations": sketch_hasher().permutations,
        "sketch_agreement": SKETCH_AGREEMENT,
        "max_near_paragraphs": MAX_NEAR_PARAGRAPHS,
        "min_words": MIN_TOKENS,
        "min_chars_without_spaces": MIN_CHARS_WITHOUT_SPACES,
        "max_keys": MAX_PARAGRAPH_KEYS,
    }
    return arguments | changed


@pytest.mark.parametrize(
    "call",
    [
        lambda native: native.word_shingles(b"123"),
        lambda native: native.min_hash(b"", b"12345678", b""),
        lambda native: native.band_keys(b"\0" * 8, 3),
        lambda native: native.paragraph_sketches(b"\0" * 8, [2], b"", b""),
        lambda native: native.Folder(b"\0" * 8, {}),
        lambda native: native.Folder((0xFFFFFFFD).to_bytes(4, "little") * 0x10000, {}),
        lambda native: native.CharClasses([[(0x41, 0x5A)], [(0x5A, 0x61)]]),
        lambda native: native.CharClasses([[(0x61, 0x41)]]),
        lambda native: native.CharClasses([[(0x41, 0x10000)]]),
        lambda native: native.CharClasses([[(0x41, 0x5A)]], beyond_bmp=1),
        lambda native: native.BodyFingerprinter(**fingerprinter_arguments(rows_per_band=7)),
        lambda native: native.BodyFingerprinter(
            **fingerprinter_arguments(sketch_permutations=(b"", b""))
        ),
        lambda native: native.BodyFingerprinter(
            **fingerprinter_arguments(permutations=(b"\1" * 8, b""))
        ),
    ],
    ids=[
        "odd-bytes",
        "a-and-b-differ",
        "not-bands-of-rows",
        "counts-off",
        "short-table",
        "extra-missing",
        "classes-overlap",
        "range-backwards",
        "range-beyond-the-bmp",
        "beyond-the-bmp-names-no-class",
        "fingerprinter-not-bands-of-rows",
        "fingerprinter-no-sketch-permutations",
        "fingerprinter-a-and-b-differ",
    ],
)
def test_malformed_arrays_are_value_errors(call: object) -> None:
    import newsflow_native

    with pytest.raises(ValueError):
        call(newsflow_native)  # type: ignore[operator]


# Paragraphs of every kind a body holds: any text; a few words of a small vocabulary (so
# that some are near or exact repeats, and some have 8 words or more); one long word of no
# spaces; and the first two again at the end (exact repeats).
BODY = st.lists(
    st.one_of(TEXT, PARAGRAPHS.map(lambda ps: " ".join(ps)), st.sampled_from(["ж" * 45, "x y"])),
    max_size=8,
).map(lambda ps: ps + ps[:2])


def reference_keys(normalized: list[str], counts: tuple[int, ...]) -> list[bytes]:
    """Fingerprints of the substantial paragraphs, first occurrences, in order, at most 24."""
    substantial = [
        paragraph_fingerprint(text)
        for text, count in zip(normalized, counts, strict=True)
        if is_substantial(count, len(text))
    ]
    return list(dict.fromkeys(substantial))[:MAX_PARAGRAPH_KEYS]


@BUDGET
@given(BODY)
def test_a_bodys_one_pass_fingerprints_are_the_rules_step_by_step(paragraphs: list[str]) -> None:
    body = Body.of(paragraphs)
    normalized = normalize_paragraphs(paragraphs)
    words = Words.of(normalized)
    assert list(body.normalized) == normalized
    assert (body.counts, body.hashes) == (words.counts, words.hashes.tobytes())
    assert body.distinct == (len(set(normalized)) == len(normalized))
    assert body.fingerprints == b"".join(map(paragraph_fingerprint, normalized))
    assert body.digest == text_hash(words.text)
    near = agreeing_pairs(paragraph_sketches(words), SKETCH_AGREEMENT) if paragraphs else []
    assert list(body.near_pairs) == near
    assert list(body.keys) == reference_keys(normalized, words.counts)
    step_by_step = BodyMinHash.of(words, DEFAULT_HASHER)
    assert body.minhash.size == step_by_step.size
    assert body.minhash.signature_bytes == step_by_step.signature_bytes
    assert body.minhash.band_keys == step_by_step.band_keys


def test_the_body_fingerprinter_takes_its_rules_by_keyword_only() -> None:
    from newsflow_native import BodyFingerprinter

    make: Callable[..., object] = BodyFingerprinter  # called as the stub forbids, below
    arguments = fingerprinter_arguments()
    assert isinstance(make(**arguments), BodyFingerprinter)
    with pytest.raises(TypeError, match="positional"):
        make(*arguments.values())


def test_a_bodys_fingerprints_are_read_by_name_and_stay_as_made() -> None:
    repeated = "one two three four five six seven eight"  # substantial: MIN_TOKENS words
    paragraphs = [repeated, "x", repeated]
    words = Words.of(paragraphs)
    taken = fingerprinter_for(DEFAULT_HASHER).fingerprint(paragraphs)
    assert taken is not None
    assert taken.folded.texts() == paragraphs
    assert taken.char_count == len(words.text)
    assert taken.word_hashes == words.hashes.tobytes()
    assert taken.word_counts == (8, 1, 8)
    assert taken.paragraph_fingerprints == b"".join(map(paragraph_fingerprint, paragraphs))
    assert taken.content_hash == text_hash(words.text)
    assert taken.near_pairs == ((2, 0),)
    assert taken.paragraph_keys == (paragraph_fingerprint(repeated),)
    assert taken.distinct_shingles == 9  # of 15 word 3-grams, the last paragraph's 6 repeat
    assert len(taken.signature_bytes) == 2 * DEFAULT_HASHER.bands * DEFAULT_HASHER.rows
    assert len(taken.band_keys) == DEFAULT_HASHER.bands
    with pytest.raises(AttributeError):
        taken.content_hash = ""  # type: ignore[misc]


def test_the_index_layouts_fingerprints_stay_what_its_keys_were_written_with() -> None:
    # Redis holds a window of these: a new rule needs a new layout (adapters/dedupe_index.py).
    text = "الرئيس يزور المدينة اليوم"
    assert LAYOUT == "v4"
    assert paragraph_fingerprint(text).hex() == "abec4d42e9cbe754"
    assert text_hash(text) == "22b523b03bcff9925143a71e5caf56cd"
    assert Body.of([text]).fingerprints.hex() == "abec4d42e9cbe754"
    assert Body.of([text]).digest == "22b523b03bcff9925143a71e5caf56cd"


# With ASCII in a class; without (the byte pre-check of `any` then applies), as the tag
# stage's classes of letters written without spaces.
CLASS_SETS = [
    [[(0x41, 0x5A), (0x61, 0x7A)], [(0x620, 0x64A)], [(0x3040, 0x30FF), (0x3400, 0x9FFF)]],
    [[(0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF)]],
    [[(0x620, 0x64A)], [(0xE9, 0xE9)]],
]


def reference_counts(
    classes: list[list[tuple[int, int]]], text: str, beyond_bmp: int | None = None
) -> list[int]:
    def inside(k: int, code: int) -> bool:
        return any(a <= code <= b for a, b in classes[k]) or (k == beyond_bmp and code > 0xFFFF)

    return [sum(inside(k, ord(c)) for c in text) for k in range(len(classes))]


@BUDGET
@given(st.sampled_from(CLASS_SETS), st.booleans(), st.lists(TEXT, max_size=4))
def test_char_classes_count_what_their_ranges_hold(
    classes: list[list[tuple[int, int]]], beyond: bool, texts: list[str]
) -> None:
    from newsflow_native import CharClasses

    beyond_bmp = 0 if beyond else None  # every code point beyond the BMP in the first class
    native = CharClasses(classes, beyond_bmp=beyond_bmp)
    texts = [t.encode("utf-8", errors="replace").decode("utf-8") for t in texts]  # no surrogates
    for text in texts:
        assert native.counts(text) == reference_counts(classes, text, beyond_bmp)
    assert native.any(texts) == any(sum(reference_counts(classes, t, beyond_bmp)) for t in texts)


VOCABULARY = ["a", "ab", "new", "york", "روسيا", "والصين", "Путин", "😀", "x" * 9]
WORDS = st.lists(st.sampled_from(VOCABULARY), max_size=12)


def reference_find(phrases: list[str], texts: list[str]) -> list[tuple[int, int, int, int]]:
    """The longest phrase starting at each word wins; the search goes on after it. Each hit
    with where it starts, in characters and in bytes of UTF-8."""
    ids = {p: i for i, p in enumerate(phrases)}  # a repeated phrase: its last position
    longest = max((p.count(" ") + 1 for p in phrases), default=0)
    hits = []
    for paragraph, text in enumerate(texts):
        words = text.split(" ") if text else []
        at = 0
        while at < len(words):
            for end in range(min(len(words), at + longest), at, -1):
                if (found := ids.get(" ".join(words[at:end]))) is not None:
                    before = " ".join([*words[:at], ""])
                    hits.append((paragraph, found, len(before), len(before.encode())))
                    at = end
                    break
            else:
                at += 1
    return hits


@BUDGET
@given(st.lists(WORDS.filter(bool), max_size=8), st.lists(WORDS, max_size=4))
def test_phrase_index_finds_the_longest_phrase_at_each_word(
    phrases: list[list[str]], texts: list[list[str]]
) -> None:
    from newsflow_native import PhraseIndex

    joined = [" ".join(p) for p in phrases]
    paragraphs = [" ".join(t) for t in texts]
    assert PhraseIndex(joined).find(paragraphs) == reference_find(joined, paragraphs)


@BUDGET
@given(
    st.lists(st.lists(WORDS.filter(bool), max_size=6), min_size=1, max_size=3),
    st.lists(WORDS, max_size=4),
)
def test_phrase_indexes_searched_together_do_not_disturb_each_other(
    phrase_sets: list[list[list[str]]], texts: list[list[str]]
) -> None:
    from newsflow_native import PhraseIndex

    indexes = [PhraseIndex([" ".join(p) for p in phrases]) for phrases in phrase_sets]
    paragraphs = [" ".join(t) for t in texts]
    together = PhraseIndex.find_each(indexes, paragraphs)
    assert together == [index.find(paragraphs) for index in indexes]


def test_a_code_point_folded_beyond_the_bmp_comes_out_whole() -> None:
    """A table may send a BMP code point to one of four UTF-8 bytes (Python's has none
    today): the folder must still write it whole."""
    from newsflow_native import Folder

    separator = (0xFFFFFFFE).to_bytes(4, "little")
    table = [
        separator if 0xD800 <= cp <= 0xDFFF else cp.to_bytes(4, "little") for cp in range(0x10000)
    ]
    table[ord("a")] = (0x1F600).to_bytes(4, "little")
    assert Folder(b"".join(table), {}).normalize("bab a") == "b😀b 😀"
