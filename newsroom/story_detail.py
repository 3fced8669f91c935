"""What the story page shows beyond the stream: how an update differs from the version before
it, and a repaired body's paragraphs in their original order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any


@dataclass(frozen=True)
class DiffLine:
    change: str  # "same", "removed" (only in the earlier version) or "added"
    text: str


def paragraph_diff(earlier: Sequence[str], later: Sequence[str]) -> list[DiffLine]:
    """The later version's paragraphs against the earlier one's, paragraph by paragraph (an
    update rewrites, adds or drops whole paragraphs far more often than single words)."""
    lines: list[DiffLine] = []
    matcher = SequenceMatcher(a=list(earlier), b=list(later), autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", p) for p in later[b0:b1]]
            continue
        lines += [DiffLine("removed", p) for p in earlier[a0:a1]]
        lines += [DiffLine("added", p) for p in later[b0:b1]]
    return lines


@dataclass(frozen=True)
class OriginalParagraph:
    index: int  # its place in the body as the page had it
    text: str
    repeat_of: int | None = None  # the index of the paragraph it repeated (dropped on repair)
    similarity: float = 1.0


def original_order(record: Mapping[str, Any]) -> list[OriginalParagraph]:
    """A repaired body as it was: the kept paragraphs in their places and, where a repeat was
    dropped, the paragraph it repeated. Empty when the record does not say enough (no repair,
    or a report whose counts do not add up with the paragraphs kept)."""
    report = record.get("internal_duplication") or {}
    kept: list[str] = list(record.get("paragraphs") or [])
    repeats = {int(r["index"]): r for r in report.get("repeats", [])}
    count = int(report.get("original_paragraph_count") or 0)
    if not report.get("detected") or count != len(kept) + len(repeats):
        return []
    shown: list[OriginalParagraph] = []
    texts: dict[int, str] = {}
    left = iter(kept)
    for index in range(count):
        repeat = repeats.get(index)
        if repeat is None:
            texts[index] = next(left)
            shown.append(OriginalParagraph(index, texts[index]))
            continue
        first = int(repeat["first_index"])
        shown.append(
            OriginalParagraph(
                index, texts.get(first, ""), first, float(repeat.get("similarity", 1.0))
            )
        )
    return shown
