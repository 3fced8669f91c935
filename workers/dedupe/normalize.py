"""Text normalization shared by every fingerprint (pure).

Two copies of a story differ in ways a reader does not see: Unicode forms, case,
punctuation, and in Arabic optional vowel marks, tatweel, alef and yeh variants, digit
shapes and invisible direction marks. All of those are folded away here.

What each code point becomes is decided here, from Python's own unicodedata, as one table;
the loop that applies it to every article runs compiled (native/src/lib.rs): in Python the
same passes (a regex per rule, then split and join) cost about 240 us of a 600-word article.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache

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
PARAGRAPH_MARK = "\x1e"  # record separator: paragraphs cross to the folder joined by it

_DROP = 0xFFFFFFFF
_SEPARATOR = 0xFFFFFFFE


def is_separator(char: str) -> bool:
    """Punctuation (P*), symbols (S*) and whitespace split words."""
    return char.isspace() or unicodedata.category(char)[0] in "PS"


def folding_table() -> bytes:
    """What each BMP code point becomes (after NFKC and case folding): dropped, a word
    separator, or one character; as 65,536 little-endian u32 for the folder."""
    codes = []
    for cp in range(0x10000):
        char = chr(cp)
        if char in ARABIC_MARKS or char in INVISIBLE:
            codes.append(_DROP)
        elif char in LETTER_FORMS:
            codes.append(ord(LETTER_FORMS[char]))
        elif 0xD800 <= cp <= 0xDFFF or is_separator(char):  # surrogates: see _without_surrogates
            codes.append(_SEPARATOR)
        else:
            codes.append(cp)
    return b"".join(code.to_bytes(4, "little") for code in codes)


@cache
def _folder() -> Folder:
    return Folder(folding_table())


def _unicode_forms(text: str, casefold: bool) -> str:
    """NFKC, then case folding unless the caller keeps case (the tag stage: "Turkey" the
    country, "turkey" the bird)."""
    nfkc = unicodedata.normalize("NFKC", text)
    return nfkc.casefold() if casefold else nfkc


def _without_surrogates(text: str) -> str:
    """A lone surrogate (JSON allows "\\ud800") is no text and cannot cross to the folder as
    UTF-8: it becomes "?", a word separator, as the folding table says of surrogates."""
    return text.encode("utf-8", errors="replace").decode("utf-8")


def normalize_text(text: str, *, casefold: bool = True) -> str:
    """The text's words after every folding above, joined by single spaces."""
    forms = _unicode_forms(text, casefold)
    try:
        return _folder().normalize(forms)
    except UnicodeEncodeError:
        return _folder().normalize(_without_surrogates(forms))


def tokens(text: str) -> list[str]:
    """NFKC, case folded, Arabic folded, split on punctuation, symbols and whitespace."""
    return normalize_text(text).split()


def normalize_paragraphs(paragraphs: Sequence[str], *, casefold: bool = True) -> list[str]:
    """normalize_text of each paragraph, in one pass over the whole body (a call per
    paragraph costs more than the work). Line breaks inside a paragraph become spaces."""
    if not paragraphs:
        return []
    joined = PARAGRAPH_MARK.join(paragraphs)
    if joined.count(PARAGRAPH_MARK) != len(paragraphs) - 1:  # a paragraph holds the mark
        joined = PARAGRAPH_MARK.join(p.replace(PARAGRAPH_MARK, " ") for p in paragraphs)
    forms = _unicode_forms(joined, casefold)
    try:
        return _folder().normalize_paragraphs(forms)
    except UnicodeEncodeError:
        return _folder().normalize_paragraphs(_without_surrogates(forms))


def normalized_words(paragraphs: Sequence[str], *, casefold: bool = True) -> list[list[str]]:
    """The words of each paragraph's normalize_text, for callers that look words up."""
    return [p.split() for p in normalize_paragraphs(paragraphs, casefold=casefold)]
