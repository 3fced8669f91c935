"""The writing system of a text (ISO 15924) and its direction, from its letters (pure)."""

from __future__ import annotations

from typing import Literal

from newsflow_native import CharClasses

# The scripts news is written in, by ISO 15924 code, as inclusive ranges of their letters.
_SCRIPTS: dict[str, list[tuple[int, int]]] = {
    "Latn": [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F)],
    "Grek": [(0x370, 0x3FF)],
    "Cyrl": [(0x400, 0x52F)],
    "Hebr": [(0x5D0, 0x5EA)],
    "Arab": [(0x620, 0x64A), (0x671, 0x6D3), (0x750, 0x77F)],
    "Deva": [(0x904, 0x939)],
    "Thai": [(0xE01, 0xE2E)],
    "Jpan": [(0x3040, 0x30FF)],  # kana: Japanese, even mixed with Han
    "Hani": [(0x3400, 0x9FFF)],
    "Hang": [(0xAC00, 0xD7AF)],
}
_LETTERS = CharClasses(list(_SCRIPTS.values()))  # compiled: one pass, not a regex per script
_RIGHT_TO_LEFT = frozenset({"Arab", "Hebr"})
SAMPLE_CHARS = 200  # letters enough to tell


def script_of(text: str) -> tuple[str | None, Literal["ltr", "rtl"] | None]:
    """The most frequent script among the letters of the first SAMPLE_CHARS characters."""
    sample = text[:SAMPLE_CHARS]
    counts = dict(zip(_SCRIPTS, _LETTERS.counts(sample), strict=True))
    if counts["Jpan"]:
        counts["Jpan"] += counts.pop("Hani")
    script, count = max(counts.items(), key=lambda item: item[1])
    if not count:
        return None, None
    return script, "rtl" if script in _RIGHT_TO_LEFT else "ltr"
