"""The writing system of a text (ISO 15924) and its direction, from its letters (pure)."""

from __future__ import annotations

import re
from typing import Literal

# The scripts news is written in, by ISO 15924 code, as character classes: one findall
# per script over a short sample is cheaper than a Python loop over its characters.
_SCRIPTS = {
    "Latn": re.compile("[A-Za-z\u00c0-\u024f]"),
    "Grek": re.compile("[\u0370-\u03ff]"),
    "Cyrl": re.compile("[\u0400-\u052f]"),
    "Hebr": re.compile("[\u05d0-\u05ea]"),
    "Arab": re.compile("[\u0620-\u064a\u0671-\u06d3\u0750-\u077f]"),
    "Deva": re.compile("[\u0904-\u0939]"),
    "Thai": re.compile("[\u0e01-\u0e2e]"),
    "Jpan": re.compile("[\u3040-\u30ff]"),  # kana: Japanese, even mixed with Han
    "Hani": re.compile("[\u3400-\u9fff]"),
    "Hang": re.compile("[\uac00-\ud7af]"),
}
_RIGHT_TO_LEFT = frozenset({"Arab", "Hebr"})
SAMPLE_CHARS = 200  # letters enough to tell; each regex scans the sample


def script_of(text: str) -> tuple[str | None, Literal["ltr", "rtl"] | None]:
    """The most frequent script among the letters of the first SAMPLE_CHARS characters."""
    sample = text[:SAMPLE_CHARS]
    counts = {code: len(pattern.findall(sample)) for code, pattern in _SCRIPTS.items()}
    if counts["Jpan"]:
        counts["Jpan"] += counts.pop("Hani")
    script, count = max(counts.items(), key=lambda item: item[1])
    if not count:
        return None, None
    return script, "rtl" if script in _RIGHT_TO_LEFT else "ltr"
