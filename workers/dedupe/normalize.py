"""Text normalization shared by every fingerprint (pure).

Two copies of a story differ in ways a reader does not see: Unicode forms, case,
punctuation, and in Arabic optional vowel marks, tatweel, alef and yeh variants, digit
shapes and invisible direction marks. All of those are folded away here.

What each code point becomes is decided here, from Python's own unicodedata, as one table;
the loop that applies it to every article runs compiled (the native module): in Python the
same passes (a regex per rule, then split and join) were most of the stage's own CPU.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from typing import TypeVar

import numpy as np
import xxhash
from newsflow_native import Folder

# Harakat and Quranic marks U+064B-U+065F, superscript alef U+0670, tatweel U+0640.
ARABIC_MARKS = "".join(chr(c) for c in (*range(0x064B, 0x0660), 0x0670, 0x0640))
# Zero-width and bidirectional controls (Unicode TR9): invisible, vary by CMS.
INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space/joiners, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\ufeff\u061c\u00ad"  # BOM, Arabic letter mark, soft hyphen
)
# Alef with hamza above/below, alef with madda, alef wasla -> bare alef; alef maksura -> yeh;
# Arabic-Indic and extended Arabic-Indic digits -> ASCII digits.
LETTER_FORMS = {
    **dict.fromkeys("أإآٱ", "ا"),
    "ى": "ي",
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
}
# The harakat (U+064B-U+0652) and superscript alef (U+0670): combining classes 27 to 35,
# no decomposition, in no composition; the folding drops them.
HARAKAT_CHARS = frozenset(chr(c) for c in (*range(0x064B, 0x0653), 0x0670))
HARAKAT = re.compile(f"[{''.join(sorted(HARAKAT_CHARS))}]")
T = TypeVar("T")
Text = TypeVar("Text", str, Sequence[str])  # a text, or a body's paragraphs
PARAGRAPH_MARK = "\x1e"  # record separator: paragraphs cross to the folder joined by it

# What a folding table entry says besides "becomes this one character" (native/src/fold.rs).
_DROP = 0xFFFFFFFF
_SEPARATOR = 0xFFFFFFFE
_EXTRA = 0xFFFFFFFD  # becomes the string in the table's extra map


def is_separator(char: str) -> bool:
    """Punctuation (P*), symbols (S*) and whitespace split words."""
    return char.isspace() or unicodedata.category(char)[0] in "PS"


def fold_char(char: str) -> str:
    """One character of NFKC text (case folded or not) after every rule above: "" when it is
    dropped, " " when it separates words. Only BMP punctuation and symbols separate: that is
    what the folding has always done (emoji stay words)."""
    if char in ARABIC_MARKS or char in INVISIBLE:
        return ""
    char = LETTER_FORMS.get(char, char)
    return " " if ord(char) < 0x10000 and is_separator(char) else char


def folding_table(*, casefold: bool) -> tuple[bytes, dict[int, str], bytes]:
    """What each code point of NFKC text becomes, case folding included when asked (Python's
    str.casefold, which maps one character at a time): the BMP as 65,536 little-endian u32
    for the folder, and the code points that become several characters, or that lie beyond
    the BMP and change, in a map. Last, one byte per BMP code point, 1 where reads_raw: its
    entry then folds its NFKC form, which is no other entry's business (a character that
    NFKC changes never occurs in NFKC text)."""
    codes, extra, raw = [], {}, _reads_raw_table()
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:  # lone surrogates: see _folded
            codes.append(_SEPARATOR)
            continue
        char = unicodedata.normalize("NFKC", chr(cp)) if raw[cp] else chr(cp)
        folded = "".join(map(fold_char, char.casefold() if casefold else char))
        if folded == "":
            codes.append(_DROP)
        elif folded.isspace():
            codes.append(_SEPARATOR)
        elif len(folded) == 1:
            codes.append(ord(folded))
        else:
            codes.append(_EXTRA)
            extra[cp] = folded
    if casefold:
        extra.update(_case_folds_beyond_the_bmp())
    return b"".join(code.to_bytes(4, "little") for code in codes), extra, raw


@cache
def _reads_raw_table() -> bytes:
    """reads_raw of each BMP code point, one byte apiece (both folding tables use it)."""
    bmp = (chr(cp) for cp in range(0x10000))
    return bytes(not 0xD800 <= ord(c) <= 0xDFFF and reads_raw(c) for c in bmp)


def reads_raw(char: str) -> bool:
    """Text that holds only such characters folds the same read as it is, each folded as its
    NFKC form, as after NFKC: most text (all of the ANT articles bench-dedupe reads), which
    then skips unicodedata's NFKC.
    Such a character's NFKC form is made of harakat and characters that start clean. The
    NFKC form of a text is that of the text with each character replaced by its own (the two
    decompose alike); with those forms, the text is harakat among clean starters, which are
    NFKC already, and folds as its NFKC form does (see _nfkc).
    tests/unit/test_normalize.py checks it."""
    nfkc = unicodedata.normalize("NFKC", char)
    return all(c in HARAKAT_CHARS or _starts_clean(c) for c in nfkc)


def _starts_clean(char: str) -> bool:
    """A starter (combining class 0) that composes onto nothing before it."""
    return unicodedata.combining(char) == 0 and char not in composing_onto_the_one_before()


@cache
def composing_onto_the_one_before() -> frozenset[str]:
    """Every character that NFC composes onto the one before it: the second of each canonical
    pair decomposition whose composite NFC keeps, and the Hangul vowel and trailing jamo,
    which compose by rule (the Unicode Standard, section 3.12)."""
    seconds = {chr(c) for c in (*range(0x1161, 0x1176), *range(0x11A8, 0x11C3))}
    for cp in range(sys.maxunicode + 1):
        decomposition = unicodedata.decomposition(chr(cp)).split()
        canonical_pair = len(decomposition) == 2 and not decomposition[0].startswith("<")
        if canonical_pair and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
            seconds.add(chr(int(decomposition[1], 16)))
    return frozenset(seconds)


def _case_folds_beyond_the_bmp() -> dict[int, str]:
    """Code points beyond the BMP that case folding changes (Deseret, Osage, Adlam...): one
    casefold call over all of them, compared as arrays (a call per code point took 0.4 s)."""
    first = 0x10000
    every = "".join(map(chr, range(first, 0x110000)))
    folded = every.casefold()
    if len(folded) != len(every):  # some fold to several characters: one at a time
        return {ord(c): c.casefold() for c in every if c.casefold() != c}
    before = np.frombuffer(every.encode("utf-32-le"), dtype="<u4")
    after = np.frombuffer(folded.encode("utf-32-le"), dtype="<u4")
    return {first + int(i): folded[i] for i in np.flatnonzero(before != after)}


@cache
def _folder(casefold: bool) -> Folder:
    return Folder(*folding_table(casefold=casefold))


def _nfkc(text: str) -> str:
    """A text whose folding is that of text's NFKC form (the NFKC form itself, or that
    without its harakat): every caller folds what this returns."""
    # A no-break space sends unicodedata's NFKC down its slow path for the whole text (many
    # ANT articles have one; an order of magnitude slower); its NFKC form is a plain space,
    # and a space starts no composition, so replacing it first changes nothing.
    text = text.replace("\xa0", " ")
    if unicodedata.is_normalized("NFKC", text):
        return text
    # Vowelled Arabic is not NFKC when a shadda comes before its vowel (NFKC orders marks
    # by combining class), and unicodedata then rebuilds the whole text, several times
    # slower than the way below (a few percent of ANT articles are such). When the
    # text without its harakat is NFKC, that text folds as the NFKC form does: NFKC only
    # moves a haraka among the marks beside it (a stable sort, which leaves the others in
    # their order), and a haraka can stop only a composition of a mark of its own class
    # (there is none) or of two characters side by side, which a text that is NFKC without
    # the harakat does not hold. tests/unit/test_normalize.py checks these facts against
    # the running Python's unicodedata.
    bare = HARAKAT.sub("", text)
    if len(bare) < len(text) and unicodedata.is_normalized("NFKC", bare):
        return bare
    return unicodedata.normalize("NFKC", text)


def _folded(fold: Callable[[Text], T], text: Text) -> T:
    """fold(text) (a str or paragraphs), where a lone surrogate (JSON allows "\\ud800"),
    which is no text and cannot cross to the folder as UTF-8, becomes "?": a word separator,
    as the folding table says of surrogates."""
    try:
        return fold(text)
    except UnicodeEncodeError:
        if isinstance(text, str):
            return fold(_without_surrogates(text))
        return fold([_without_surrogates(t) for t in text])


def _without_surrogates(text: str) -> str:
    return text.encode("utf-8", errors="replace").decode("utf-8")


def normalize_text(text: str, *, casefold: bool = True) -> str:
    """The text's words after every folding above, joined by single spaces. casefold=False
    keeps case (the tag stage: "Turkey" the country, "turkey" the bird)."""
    return _folded(_folder(casefold).normalize, _nfkc(text))


def tokens(text: str) -> list[str]:
    """NFKC, case folded, Arabic folded, split on punctuation, symbols and whitespace."""
    return normalize_text(text).split()


def normalize_paragraphs(paragraphs: Sequence[str], *, casefold: bool = True) -> list[str]:
    """normalize_text of each paragraph, in one pass over the whole body (a call per
    paragraph costs more than the work). Line breaks inside a paragraph become spaces."""
    if not paragraphs:
        return []
    folder = _folder(casefold)
    # Most text folds the same read as it is (reads_raw), which spares unicodedata's NFKC.
    done = _folded(folder.normalize_paragraphs_raw, _marked(paragraphs))
    if done is None:
        done = _folded(folder.normalize_paragraphs, _joined(paragraphs))
    return done


def body_folder() -> Folder:
    """The folder of every fingerprint of a body (case folded), for compiled passes that
    fold as normalize_paragraphs does and go on from there (body.py)."""
    return _folder(True)


def fold_body(fold: Callable[[Sequence[str], bool], T | None], paragraphs: Sequence[str]) -> T:
    """fold(the paragraphs, raw=True), which reads them as they are (folding_table's last
    part); when that gives None, some character needs NFKC first: fold(the same in NFKC,
    raw=False). How a body crosses to a compiled pass that starts from body_folder() and
    reads each paragraph as normalize_paragraphs does; `paragraphs` must not be empty."""
    done = _folded(lambda texts: fold(texts, True), paragraphs)
    if done is None:
        in_nfkc = _joined(paragraphs).split(PARAGRAPH_MARK)
        done = _folded(lambda texts: fold(texts, False), in_nfkc)
    if done is None:
        raise ValueError("a fold of NFKC text gave None")
    return done


FINGERPRINT_BYTES = 8


def paragraph_fingerprint(normalized: str) -> bytes:
    """What identifies a paragraph word for word in the dedupe index: XXH3-64 of its
    normalized text (body.py's compiled pass computes the same bytes; hashing.rs says why not a
    cryptographic hash)."""
    return xxhash.xxh3_64_digest(normalized.encode("utf-8"))


def fingerprint_values(fingerprints: bytes) -> frozenset[int]:
    """Paragraph fingerprints joined, as the set of the 64-bit numbers they are, in this
    machine's byte order (half the time of a set of 8-byte slices)."""
    return frozenset(memoryview(fingerprints).cast("Q"))


def _joined(paragraphs: Sequence[str]) -> str:
    """The paragraphs in NFKC, joined by the mark."""
    return _nfkc(_marked(paragraphs))


def _marked(paragraphs: Sequence[str]) -> str:
    """The paragraphs joined by the mark (one held inside a paragraph becomes a space)."""
    joined = PARAGRAPH_MARK.join(paragraphs)
    if joined.count(PARAGRAPH_MARK) != len(paragraphs) - 1:
        joined = PARAGRAPH_MARK.join(p.replace(PARAGRAPH_MARK, " ") for p in paragraphs)
    return joined
