"""A wire dateline, left out of what the story step reads (pure).

A dispatch opens with the city (and country) it was filed from and the agency in brackets
before a dash: "Frankfurt (DPA-AFX) - ", "LONDON, March 5 (Reuters) - ",
"دبي، الإمارات العربية المتحدة (CNN) -- ". Every dispatch of that agency from that city
opens so, whatever its news, and the agency's name is a word the word lists lack, so it
weighs the most: in the lead (the first 30 words) it made two different stories of one
agency look alike. The place stays in the tags; only the story's words lose it.
"""

from __future__ import annotations

import re

# One to five words that start with no lower-case letter (a city, its country, a date; an
# uncased script's words too), or the body's start, then a short bracket and a dash or two
# hyphens. Not a colon ("Notice (updated): ..."), nor a bracket after a word in lower case
# ("the rate (in percent) - ").
DATELINE = re.compile(
    r"(?:(?<=\s)(?:[^\W_a-z][\w.'’/-]*[ ,،]+){1,5}|^(?:[^\W_a-z][\w.'’/-]*[ ,،]+){0,5})"
    r"\([^()\n]{1,25}\)\s*(?:--|[-–—])\s*"
)
# Characters of the body searched: a feed's body may open with the title before the
# dateline ("Zukunftsforscher sieht ... Corona  Frankfurt (DPA-AFX) - In der ...").
DATELINE_REACH = 250


# What every dateline ends with: looked for first, since few bodies have one and the
# whole pattern costs tens of microseconds a body to rule out.
BRACKET_AND_DASH = re.compile(r"\)\s*(?:--|[-–—])")


def without_dateline(body: str) -> str:
    """The body without its first dateline near the start, if it has one."""
    if BRACKET_AND_DASH.search(body, 0, DATELINE_REACH) is None:
        return body
    found = DATELINE.search(body, 0, DATELINE_REACH)
    if found is None:
        return body
    return f"{body[: found.start()]} {body[found.end() :]}"
