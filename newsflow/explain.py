"""`newsflow explain <article_id>`: why an article got its verdict and its tags, in words
(pure)."""

from __future__ import annotations

from typing import Any

from workers.dedupe.normalize import normalize_paragraphs

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
