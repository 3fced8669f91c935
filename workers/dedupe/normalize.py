"""Text normalization shared by every fingerprint (pure).

Two copies of a story differ in ways a reader does not see: Unicode forms, case,
punctuation, and in Arabic optional vowel marks, tatweel, alef and yeh variants, digit
shapes and invisible direction marks. All of those are folded away here.
"""

from __future__ import annotations

import re
import unicodedata

# Harakat and Quranic marks U+064B-U+065F, superscript alef U+0670, tatweel U+0640.
_ARABIC_MARKS = "".join(chr(c) for c in (*range(0x064B, 0x0660), 0x0670, 0x0640))
# Zero-width and bidirectional controls (Unicode TR9): invisible, vary by CMS.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space/joiners, LRM, RLM
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # isolates
    "\ufeff\u061c\u00ad"  # BOM, Arabic letter mark, soft hyphen
)
_FOLD = str.maketrans(
    {
        **dict.fromkeys(map(ord, _ARABIC_MARKS + _INVISIBLE), None),
        **dict.fromkeys(map(ord, "أإآٱ"), "ا"),
        ord("ى"): "ي",
        **{0x0660 + d: str(d) for d in range(10)},  # Arabic-Indic digits
        **{0x06F0 + d: str(d) for d in range(10)},  # Extended (Persian, Urdu) digits
    }
)
_PUNCTUATION_CATEGORIES = ("P", "S")
_SPACES = re.compile(r"\s+")


def _punctuation_to_space(text: str) -> str:
    return "".join(
        " " if unicodedata.category(ch).startswith(_PUNCTUATION_CATEGORIES) else ch for ch in text
    )


def normalize_text(text: str) -> str:
    """NFKC, case folded, Arabic folded, punctuation and whitespace folded to single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    return _SPACES.sub(" ", _punctuation_to_space(folded)).strip()


def tokens(text: str) -> list[str]:
    return normalize_text(text).split()
