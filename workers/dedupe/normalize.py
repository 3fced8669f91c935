"""Text normalization shared by every fingerprint (pure).

Two copies of a story differ in ways a reader does not see: Unicode forms, case,
punctuation, and in Arabic optional vowel marks, tatweel, alef and yeh variants, digit
shapes and invisible direction marks. All of those are folded away here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Harakat and Quranic marks U+064B-U+065F, superscript alef U+0670, tatweel U+0640.
_ARABIC_MARKS = "".join(chr(c) for c in (*range(0x064B, 0x0660), 0x0670, 0x0640))
# Zero-width and bidirectional controls (Unicode TR9): invisible, vary by CMS.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space/joiners, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\ufeff\u061c\u00ad"  # BOM, Arabic letter mark, soft hyphen
)


def _class_of_categories(first_letters: str) -> str:
    """A regex character class of every BMP code point whose Unicode category starts with
    one of `first_letters` (P: punctuation, S: symbols), written as ranges."""
    ranges: list[list[int]] = []
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF or unicodedata.category(chr(cp))[0] not in first_letters:
            continue
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return "[" + "".join(parts) + "]+"


# Regex passes, not str.translate: translate falls back to a slow path for non-ASCII text
# (about 6x slower here on Arabic news), and this runs on every article.
_DROP = re.compile("[" + re.escape(_ARABIC_MARKS + _INVISIBLE) + "]+")
_DIGITS = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
_DIGIT_TABLE = str.maketrans(
    {**{0x0660 + d: str(d) for d in range(10)}, **{0x06F0 + d: str(d) for d in range(10)}}
)
_PUNCTUATION = re.compile(_class_of_categories("PS"))


def fold(text: str, *, casefold: bool = True) -> str:
    """Every folding above, punctuation and symbols turned into spaces. The tag stage keeps
    case (casefold=False): "Turkey" the country, "turkey" the bird."""
    nfkc = unicodedata.normalize("NFKC", text)
    folded = _DROP.sub("", nfkc.casefold() if casefold else nfkc)
    for alef in "أإآٱ":
        folded = folded.replace(alef, "ا")
    folded = folded.replace("ى", "ي")
    if _DIGITS.search(folded):
        folded = folded.translate(_DIGIT_TABLE)
    return _PUNCTUATION.sub(" ", folded)


def tokens(text: str) -> list[str]:
    """NFKC, case folded, Arabic folded, split on punctuation, symbols and whitespace."""
    return fold(text).split()


def normalize_text(text: str, *, casefold: bool = True) -> str:
    return " ".join(fold(text, casefold=casefold).split())


def normalize_paragraphs(paragraphs: Sequence[str], *, casefold: bool = True) -> list[str]:
    """normalize_text of each paragraph, in one pass over the whole body (a call per
    paragraph costs more than the work). Line breaks inside a paragraph become spaces."""
    return [" ".join(words) for words in normalized_words(paragraphs, casefold=casefold)]


def normalized_words(paragraphs: Sequence[str], *, casefold: bool = True) -> list[list[str]]:
    """The words of each paragraph's normalize_text, for callers that look words up."""
    if not paragraphs:
        return []
    joined = "\x1e".join(" ".join(p.split()) for p in paragraphs)  # record separator
    return [part.split() for part in fold(joined, casefold=casefold).split("\x1e")]
