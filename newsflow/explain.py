"""`newsflow explain <article_id>`: why an article got its verdict, its story and its tags,
in words (pure)."""

from __future__ import annotations

from typing import Any

from workers.dedupe.normalize import normalize_paragraphs
from workers.story.features import MIN_WORDS
from workers.story.score import LINK_SCORE

SNIPPET = 70


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def shared_paragraphs(mine: list[str], theirs: list[str]) -> list[tuple[int, int]]:
    """(my index, their index) of paragraphs equal after normalization."""
    where = {text: j for j, text in reversed(list(enumerate(normalize_paragraphs(theirs))))}
    pairs = []
    for i, text in enumerate(normalize_paragraphs(mine)):
        if text and text in where:
            pairs.append((i, where[text]))
    return pairs


def explain(article: dict[str, Any], matched: dict[str, Any] | None) -> list[str]:
    dedupe, internal = article["dedupe"], article["internal_duplication"]
    lines = [
        f"article   {article['article_id']}  {article['outlet']} · {article['title']}",
        f"url       {article['url']}",
        f"language  {article['tags'].get('language')} ({article['tags'].get('language_source')})",
        f"verdict   {dedupe['relation']}  cluster {dedupe['cluster_id']}",
    ]
    if dedupe["relation"] != "original":
        lines += _match_lines(article, dedupe, matched)
    lines += story_lines(article.get("story"))
    lines += _internal_lines(article, internal)
    lines += tag_lines(article["tags"])
    return lines


def _where(evidence: dict[str, Any]) -> str:
    place = "title" if evidence["field"] == "title" else f"¶{evidence['paragraph'] + 1}"
    return f'"{evidence["text"]}" ({evidence["matched_as"]}, {place})'


def tag_lines(tags: dict[str, Any]) -> list[str]:
    """Each tag with the words that gave it and where they are."""
    lines = []
    labelled = (
        ("places", "place", lambda t: f"{t['id']} {t['name']}"),
        ("entities", "name", lambda t: f"{t['name']} ({t['kind']})"),
        ("topics", "topic", lambda t: t["id"]),
    )
    for key, label, title in labelled:
        for tag in tags.get(key, []):
            found = ", ".join(_where(e) for e in tag["evidence"])
            mentions = f" ×{tag['mentions']}" if tag.get("mentions", 1) > 1 else ""
            lines.append(f"{label:<9} {title(tag)}{mentions}: {found}")
    if tags.get("keywords"):
        lines.append(f"keywords  {', '.join(tags['keywords'])}")
    return lines


def _match_lines(
    article: dict[str, Any], dedupe: dict[str, Any], matched: dict[str, Any] | None
) -> list[str]:
    lines = [
        f"matched   {dedupe['duplicate_of']}  by {dedupe['method']}, score {dedupe['score']:.2f}"
        + (f", containment {dedupe['containment']:.2f}" if dedupe.get("containment") else "")
        + (", another outlet" if dedupe.get("cross_outlet") else ", same outlet"),
    ]
    if matched is None:
        return [*lines, "          (the matched article is no longer on the processed topic)"]
    lines.append(f"          {matched['outlet']} · {matched['title']}")
    pairs = shared_paragraphs(article["paragraphs"], matched["paragraphs"])
    lines.append(
        f"shared    {len(pairs)} of {len(article['paragraphs'])} paragraphs word for word"
        f" (the match has {len(matched['paragraphs'])})"
    )
    lines += [
        f"          ¶{i + 1} = their ¶{j + 1}: {_snippet(article['paragraphs'][i])}"
        for i, j in pairs[:8]
    ]
    return lines


def _internal_lines(article: dict[str, Any], internal: dict[str, Any]) -> list[str]:
    if not internal["detected"]:
        return ["repeats   none: the body does not repeat itself"]
    lines = [
        f"repeats   {internal['pattern']} in the {internal['found_in'].replace('_', ' ')}: "
        f"{len(internal['repeats'])} repeated paragraphs, "
        f"{internal['repeated_share']:.0%} of the text; repaired to "
        f"{len(article['paragraphs'])} of {internal['original_paragraph_count']} paragraphs"
    ]
    for r in internal["repeats"][:8]:
        lines.append(
            f"          ¶{r['index'] + 1} repeats ¶{r['first_index'] + 1} ({r['similarity']:.2f})"
        )
    return lines


NOT_COMPARED = {
    "no_text": "the article has no text",
    "too_short": f"fewer than {MIN_WORDS} words in its body tell no story from another",
}
JOINED_AS = {
    "copy": "a copy of a member (the dedupe verdict), so it joined its original's story",
    "rewrite": "the same news item in other words",
    "part": "a wire add-on, or a further article of an outlet already in the story",
}
SIGNALS = ("body", "lead", "title", "numbers", "hours")  # the score's inputs (score.py)


def _counted(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def story_lines(story: dict[str, Any] | None) -> list[str]:
    """The article's story: opened or joined, how surely, with which members and what they
    share. A record processed before the story step has none."""
    if not story:
        return ["story     none on this record (processed before articles were given stories)"]
    head = f"story     {story['story_id']}  {story['role']}"
    size = (
        f"size      {_counted(story['size'], 'article')} from "
        f"{_counted(story['outlets'], 'outlet')} when it was processed"
        " (its size now: `newsflow stories`)"
    )
    if story["role"] == "first":
        return [f"{head}: {_opened(story)}", size]
    lines = [f"{head}, score {story['score']:.2f}: {_joined(story)}", size]
    lines += _closest_lines(story.get("matched") or [])
    lines += _evidence_lines(story.get("evidence") or {})
    return lines


def _opened(story: dict[str, Any]) -> str:
    if story.get("reason"):
        reason = NOT_COMPARED.get(str(story["reason"]), str(story["reason"]))
        return f"a story of its own, not compared: {reason}"
    if story["score"] > 0:
        return (
            f"opened the story; the nearest live story scored {story['score']:.2f}, "
            f"below the link threshold {LINK_SCORE:.2f}"
        )
    return "opened the story; no live story came near it"


def _joined(story: dict[str, Any]) -> str:
    role = str(story["role"])
    said = JOINED_AS.get(role, role)
    if role == "copy" and story["score"] < LINK_SCORE:
        # A copy joins its original's story whatever its score (workers/story/match.py).
        return f"{said}, though it scored below the link threshold {LINK_SCORE:.2f}"
    return said


def _column(label: str, rows: list[str]) -> list[str]:
    """Rows under one label: the label on the first, the others aligned under it."""
    return [f"{label if i == 0 else '':<9} {row}" for i, row in enumerate(rows)]


def _closest_lines(matched: list[dict[str, Any]]) -> list[str]:
    """The members whose leads are nearest the article's, best first, by full id: each can
    be explained in turn."""
    rows = [
        f"{m['article_id']}  {m['outlet']}, lead similarity {m['lead_similarity']:.2f}"
        for m in matched
    ]
    return _column("closest", rows)


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    listed = (("shared_words", "words"), ("shared_numbers", "numbers"), ("shared_places", "places"))
    rows = [
        f"{what}: {', '.join(str(v) for v in evidence[key])}"
        for key, what in listed
        if evidence.get(key)
    ]
    if evidence.get("title_overlap") is not None:
        rows.append(f"title overlap {evidence['title_overlap']:.2f}")
    signals = evidence.get("signals") or {}
    named = [
        *(k for k in SIGNALS if k in signals),
        *sorted(k for k in signals if k not in SIGNALS),
    ]
    inputs = [f"{', '.join(f'{k} {signals[k]:g}' for k in named)} (the score's inputs)"]
    return _column("shares", rows) + _column("signals", inputs if named else [])
