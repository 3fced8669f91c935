"""Which story an article joins, or that it opens one (pure).

An article joins the story it scores highest against, when that score reaches LINK_SCORE,
the score being against the story as a whole (score.py). A copy (the dedupe stage's verdict)
joins its original's story whatever the score: the copy is the same news by construction.
Roles: `first` opens a story; `copy` is a copy of a member; `part` is a wire agency's add-on
or a further article of an outlet already in the story; `rewrite` is any other member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from workers.story.features import StoryText
from workers.story.score import LINK_SCORE, Signals, score
from workers.story.state import StoryState, grown_by, opened_by
from workers.story.vectors import cosine, cosine_with_norms

Role = Literal["first", "copy", "rewrite", "part"]
MATCHED = 3
EVIDENCE_WORDS = 8
HOUR = 3600.0


@dataclass(frozen=True)
class Decision:
    role: Role
    joined: StoryState | None  # the story joined, as read (None: opens one)
    state: StoryState  # the story after this article
    score: float
    matched: list[dict[str, object]]
    evidence: dict[str, object]


def signals_of(text: StoryText, story: StoryState) -> Signals:
    if story.first_seen <= text.at <= story.last_growth:
        hours = 0.0
    else:
        hours = min(abs(text.at - story.first_seen), abs(text.at - story.last_growth)) / HOUR
    # The article's vectors are normalized; the story's norms are computed once per story.
    body_norm, lead_norm, title_norm = story.norms
    return Signals(
        body=cosine_with_norms(text.body, 1.0, story.body, body_norm),
        lead=cosine_with_norms(text.lead, 1.0, story.lead, lead_norm),
        title=cosine_with_norms(text.title_terms, 1.0, story.title_terms, title_norm),
        numbers=len(text.numbers & story.majority(story.numbers)),
        hours=hours,
    )


def alive(story: StoryState, text: StoryText, window_s: float) -> bool:
    """A story grows while its articles come within the window of its latest growth."""
    return abs(text.at - story.last_growth) <= window_s


def decide(
    text: StoryText,
    candidates: Sequence[StoryState],
    *,
    window_s: float,
    copy_story: int = 0,
) -> Decision:
    """`copy_story`: the index number of the story of the article this one copies (0: none)."""
    scored = sorted(
        (
            (score(sig), -story.seq, story, sig)
            for story in candidates
            if alive(story, text, window_s) or is_original(story, copy_story)
            for sig in (signals_of(text, story),)
        ),
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    copied = next((item for item in scored if is_original(item[2], copy_story)), None)
    best = copied or (scored[0] if scored and scored[0][0] >= LINK_SCORE else None)
    if best is None:
        nearest = scored[0][0] if scored else 0.0
        return Decision("first", None, opened_by(text), round(nearest, 3), [], {})
    value, _, story, sig = best
    return Decision(
        role=role_in(text, story, copied is not None),
        joined=story,
        state=grown_by(story, text),
        score=round(value, 3),
        matched=matched_members(text, story),
        evidence=evidence(text, story, sig),
    )


def is_original(story: StoryState, copy_story: int) -> bool:
    """Whether `story` is the copied article's: copy_story 0 says there is none, and must
    not name a story the index has not numbered yet (seq 0, as opened_by makes one)."""
    return copy_story != 0 and story.seq == copy_story


def role_in(text: StoryText, story: StoryState, copy: bool) -> Role:
    if copy:
        return "copy"
    if text.add_on or text.outlet in story.outlets:
        return "part"
    return "rewrite"


def matched_members(text: StoryText, story: StoryState) -> list[dict[str, object]]:
    """The story's members whose leads are nearest this article's, best first."""
    ranked = sorted(
        ((cosine(text.lead, m.lead), m) for m in story.members),
        key=lambda sm: -sm[0],
    )
    return [
        {"article_id": m.article_id, "outlet": m.outlet, "lead_similarity": round(s, 3)}
        for s, m in ranked[:MATCHED]
    ]


def evidence(text: StoryText, story: StoryState, sig: Signals) -> dict[str, object]:
    """What the article shares with the story, in the article's own words."""
    shared = sorted(
        (t for t in text.body if t in story.body),
        key=lambda t: -(text.body[t] * story.body[t]),
    )
    return {
        "shared_words": [text.surface[t] for t in shared[:EVIDENCE_WORDS] if t in text.surface],
        "shared_numbers": sorted(text.numbers & story.numbers.keys()),
        "shared_places": sorted(text.places & story.places.keys()),
        "title_overlap": round(sig.title, 3),
        "signals": sig.rounded(),
    }
