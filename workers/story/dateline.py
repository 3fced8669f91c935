"""A wire dateline, left out of what the story step reads (pure).

A dispatch opens with the city (and country, and date) it was filed from and the agency in
brackets before a dash: "Frankfurt (DPA-AFX) - ", "LONDON, March 5 (Reuters) - ",
"دبي، الإمارات العربية المتحدة (CNN) -- ". Every dispatch of that agency from that city
opens so, whatever its news, and the agency's name is a word the word lists lack, so it
weighs the most: in the lead (the first 30 words) it made two different stories of one
agency look alike. The place stays in the tags; only the story's words lose it.
"""

from __future__ import annotations

import re

# What ends a dateline: a short bracket, the agency, then a dash or two hyphens. Not a
# colon ("Notice (updated): ...").
AGENCY_AND_DASH = re.compile(r"\(([^()\n]{1,25})\)\s*(?:--|[-–—])\s*")
# Words before the bracket, at most: a city, its state or country, a date ("SAN
# FRANCISCO, California, Jan. 5, 2021 (AP) - ").
DATELINE_WORDS = 7
# Characters of the body searched: a feed's body may open with the title before the
# dateline ("Zukunftsforscher sieht ... Corona  Frankfurt (DPA-AFX) - In der ...").
DATELINE_REACH = 250
WORD_SEPARATORS = re.compile(r"[\s,،]+")


def without_dateline(body: str) -> str:
    """The body without its dateline, if one opens it (or opens the line after a title)."""
    found = AGENCY_AND_DASH.search(body, 0, DATELINE_REACH)
    if found is None:
        return body
    start = _line_start(body, found.start())
    words = [w for w in WORD_SEPARATORS.split(body[start : found.start()]) if w]
    # A word in lower case is a sentence's, not a place's or a date's: "the rate (in
    # percent) - ", "Shares of Apple Inc. (AAPL) - ".
    if len(words) > DATELINE_WORDS or any(w[0].islower() for w in words):
        return body
    return f"{body[:start]} {body[found.end() :]}"


def _line_start(body: str, at: int) -> int:
    """Where the line holding `at` starts: after a newline, or after two spaces (where a
    feed joined the title and the body), or at the body's start."""
    newline = body.rfind("\n", 0, at) + 1
    spaces = body.rfind("  ", 0, at)
    return max(newline, spaces + 2 if spaces >= 0 else 0)
