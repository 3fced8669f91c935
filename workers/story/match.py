"""Which story an article joins, or that it opens one (pure).

An article joins the story it scores highest against, when that score reaches LINK_SCORE,
the score being against the story as a whole (score.py). A copy (the dedupe stage's verdict)
joins its original's story whatever the score: the copy is the same news by construction.
An article that reaches LINK_SCORE with two stories which are, compared as wholes, one news
item too (story_signals: their centroids against each other, at MERGE_SCORE, stricter than
joining: a wrong merge mixes two whole stories) brings them together: the younger story is
absorbed by the older one, which the article joins. The younger story's id stays on the
articles emitted with it; its events say `merged_into`. Merging needs the stories to match
each other as wholes, so no chain of single members merges two stories.
Roles: `first` opens a story; `copy` is a copy of a member; `part` is a wire agency's add-on
or a further article of an outlet already in the story; `rewrite` is any other member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from workers.story.features import StoryText
from workers.story.meaning import cross_language_score, meaning_cosine
from workers.story.score import LINK_SCORE, Signals, score
from workers.story.state import StoryState, absorbed, grown_by, opened_by
from workers.story.vectors import PackedVector, cosine, cosine_with_norms

Role = Literal["first", "copy", "rewrite", "part"]
MATCHED = 3
# Two stories compared as wholes score high on a shared topic: at 0.85, 6 merges in 6,000
# ANT articles, 5 of them a report and the reaction or sequel to it (docs/stories.md).
MERGE_SCORE = 0.97
EVIDENCE_WORDS = 8
HOUR = 3600.0
# Within one language, numbers an article shares with a story whose words it hardly shares
# are a coincidence: a date, a count (two unrelated local reports of a SemEval pair, that
# shared hardly a word, were linked by the date stamp both end with). They count from this
# cosine of the body or the lead, which every same-story pair with shared numbers of the
# half of the (Arabic) ANT pairs the weights were fitted on reaches (`make story-signals`
# prints the lowest).
# Only for a story told in the article's language alone, a known one: across languages
# (and in a story told in several, whose centroid the other languages' words dilute) the
# words cannot say it, and numbers are much of what two texts share.
NUMBERS_NEED_WORDS = 0.12


@dataclass(frozen=True)
class Decision:
    role: Role
    joined: StoryState | None  # the story joined, as read (None: opens one)
    state: StoryState  # the story after this article
    score: float
    matched: list[dict[str, object]]
    evidence: dict[str, object]
    merged: StoryState | None = None  # the story absorbed by the joined one, as read


def hours_apart(first: float, last: float, other_first: float, other_last: float) -> float:
    """Hours between two spans of time (epoch seconds); 0 when they overlap."""
    if other_last < first or last < other_first:
        return min(abs(other_first - last), abs(first - other_last)) / HOUR
    return 0.0


def signals_of(text: StoryText, story: StoryState) -> Signals:
    hours = hours_apart(story.first_seen, story.last_growth, text.at, text.at)
    body, lead, title = cosines(text, story)
    numbers = story.named_by_most(text.numbers)
    one_language = bool(text.language) and story.languages == (text.language,)
    if one_language and max(body, lead) < NUMBERS_NEED_WORDS:
        numbers = 0
    return Signals(
        body=body,
        lead=lead,
        title=title,
        numbers=numbers,
        hours=hours,
        meaning=meaning_cosine(text.meaning, story.meaning) if across(text, story) else None,
    )


def cosines(text: StoryText, story: StoryState) -> tuple[float, float, float]:
    """The cosines of the article's unit vectors with the story's centroids: compiled on the
    packed centroids of a story read from the index (as this computes them otherwise)."""
    if (
        isinstance(story.body, PackedVector)
        and isinstance(story.lead, PackedVector)
        and isinstance(story.title_terms, PackedVector)
    ):
        return text.probe.cosines(story.body.raw, story.lead.raw, story.title_terms.raw)
    body_norm, lead_norm, title_norm = story.norms
    return (
        cosine_with_norms(text.body, 1.0, story.body, body_norm),
        cosine_with_norms(text.lead, 1.0, story.lead, lead_norm),
        cosine_with_norms(text.title_terms, 1.0, story.title_terms, title_norm),
    )


def across(text: StoryText, story: StoryState) -> bool:
    """Whether the story is told (also) in another language than the article's, both with a
    meaning to compare."""
    return bool(text.meaning and story.meaning) and any(
        language != text.language for language in story.languages
    )


def scored(text: StoryText, story: StoryState) -> tuple[float, Signals]:
    """The score an article joins a story by, and its signals. By words within a language;
    by meaning for a story told only in other languages (words shared across languages are
    names and cognates: by them, 2.3 % of the unrelated SemEval pairs across languages
    link, by meaning none); by either for a story told in the article's language too."""
    sig = signals_of(text, story)
    if sig.meaning is None:
        return score(sig), sig
    by_meaning = cross_language_score(sig.meaning, sig.hours)
    if text.language not in story.languages:
        return by_meaning, sig
    return max(score(sig), by_meaning), sig


def story_signals(story: StoryState, other: StoryState) -> Signals:
    """Two stories compared as wholes: their centroids, the numbers most members of each
    name, the time between their spans. Numbers are not gated by the words here as in
    signals_of: below NUMBERS_NEED_WORDS in both the body and the lead no score reaches
    MERGE_SCORE, numbers or not."""
    body_norm, lead_norm, title_norm = story.norms
    other_body, other_lead, other_title = other.norms
    return Signals(
        body=cosine_with_norms(other.body, other_body, story.body, body_norm),
        lead=cosine_with_norms(other.lead, other_lead, story.lead, lead_norm),
        title=cosine_with_norms(other.title_terms, other_title, story.title_terms, title_norm),
        numbers=len(other.majority(other.numbers) & story.majority(story.numbers)),
        hours=hours_apart(story.first_seen, story.last_growth, other.first_seen, other.last_growth),
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
    merge_score: float = MERGE_SCORE,
) -> Decision:
    """`copy_story`: the index number of the story of the article this one copies (0: none)."""
    ranked = sorted(
        (
            (value, -story.seq, story, sig)
            for story in candidates
            if alive(story, text, window_s) or is_original(story, copy_story)
            for value, sig in (scored(text, story),)
        ),
        key=lambda item: (item[0], item[1]),
        reverse=True,
    )
    copied = next((item for item in ranked if is_original(item[2], copy_story)), None)
    best = copied or (ranked[0] if ranked and ranked[0][0] >= LINK_SCORE else None)
    if best is None:
        nearest = ranked[0][0] if ranked else 0.0
        return Decision("first", None, opened_by(text), round(nearest, 3), [], {})
    value, _, story, sig = best
    other = same_news(story, [item[2] for item in ranked if item[0] >= LINK_SCORE], merge_score)
    joined, merged = (story, None) if other is None else older_first(story, other)
    return Decision(
        role=role_in(text, story, copied is not None),
        joined=joined,
        state=grown_by(joined if merged is None else absorbed(joined, merged), text),
        score=round(value, 3),
        matched=matched_members(text, story),
        evidence=evidence(text, story, sig),
        merged=merged,
    )


def same_news(
    story: StoryState, linked: Sequence[StoryState], merge_score: float
) -> StoryState | None:
    """The best other story the article links to that is, as a whole, the same news item as
    `story` (None: none is)."""
    best: tuple[float, StoryState] | None = None
    for other in linked:
        if other.seq == story.seq:
            continue
        value = score(story_signals(story, other))
        if value >= merge_score and (best is None or value > best[0]):
            best = (value, other)
    return best[1] if best else None


def older_first(a: StoryState, b: StoryState) -> tuple[StoryState, StoryState]:
    """(the story that stays, the one it absorbs): the older stays, its id the one users
    saw first."""
    return (a, b) if (a.first_seen, a.seq) <= (b.first_seen, b.seq) else (b, a)


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
