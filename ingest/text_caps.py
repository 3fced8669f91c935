"""How much text an article or a feed entry may carry (pure).

A page or a feed can hold megabytes of text (a scraped archive, a feed that inlines a book):
without a cap, one such input makes a message too big for the topic, which no retry mends.
Text past the cap is cut at a paragraph's end, and the message says so (`truncated`) with the
length it had; the cut is the same every time, so a replay gives the same article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schemas.limits import cut_text
from schemas.messages import EntryMessage

DEFAULT_MAX_BODY_BYTES = 512 * 1024  # the settings' max_body_bytes
# A title is a line: past this it is text that went into the wrong field.
MAX_TITLE_BYTES = 2048
# Bytes counted for the blank line between two paragraphs of `body`.
_SEPARATOR_BYTES = 2


@dataclass(frozen=True)
class CappedParagraphs:
    paragraphs: tuple[str, ...]
    original_bytes: int  # of the whole text, paragraphs joined by blank lines, as UTF-8
    truncated: bool


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def cap_paragraphs(paragraphs: Sequence[str], max_bytes: int) -> CappedParagraphs:
    """Whole paragraphs from the first while they fit in max_bytes (the blank lines between
    them counted); when the first alone does not fit, its start."""
    sizes = [utf8_bytes(p) for p in paragraphs]
    total = sum(sizes) + _SEPARATOR_BYTES * max(0, len(sizes) - 1)
    if total <= max_bytes:
        return CappedParagraphs(tuple(paragraphs), total, False)
    kept, used = 0, 0
    for size in sizes:
        step = size + (_SEPARATOR_BYTES if kept else 0)
        if used + step > max_bytes:
            break
        kept, used = kept + 1, used + step
    if kept == 0:
        return CappedParagraphs((cut_text(paragraphs[0], max_bytes),), total, True)
    return CappedParagraphs(tuple(paragraphs[:kept]), total, True)


def cap_optional(text: str | None, max_bytes: int) -> tuple[str | None, bool]:
    """A feed's text field within max_bytes, and whether it was cut."""
    if text is None or utf8_bytes(text) <= max_bytes:
        return text, False
    return cut_text(text, max_bytes), True


def cap_entry(message: EntryMessage, max_bytes: int) -> EntryMessage:
    """The entry with its title within MAX_TITLE_BYTES and its summary and content within
    max_bytes each; `truncated` when anything was cut."""
    summary, cut_summary = cap_optional(message.get("summary"), max_bytes)
    content, cut_content = cap_optional(message.get("content"), max_bytes)
    title = cut_text(message["title"], MAX_TITLE_BYTES)
    if not (cut_summary or cut_content or title != message["title"]):
        return message
    capped: EntryMessage = {**message, "title": title, "summary": summary, "content": content}
    capped["truncated"] = True
    return capped
