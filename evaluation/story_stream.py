"""Corpus articles through the story step, as the tag stage hands them over, and the scores
of pairs as the step computes them: what `make eval-stories` and `make bench-stories` run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from evaluation.ant_corpus import CorpusArticle, published
from schemas.timestamps import iso_utc
from workers.story.features import StoryReader, StoryText, TooShort
from workers.story.match import scored
from workers.story.meaning import Encoder
from workers.story.state import opened_by
from workers.story.step import with_meanings


def message_of(article: CorpusArticle, language: str = "ar") -> dict[str, Any]:
    """The fields of a processed article the story step reads, for a corpus article (seen
    when it was published)."""
    when = published(article) or datetime(2018, 1, 1)
    return {
        "article_id": article.article_id,
        "url": article.url,
        "outlet": article.source,
        "title": article.title,
        "body": "\n\n".join(article.paragraphs),
        "published": iso_utc(when),
        "seen_at": iso_utc(when),
        "tags": {"language": language, "places": []},
    }


def text_message(article_id: str, text: str, language: str) -> dict[str, Any]:
    """A bare text (a SemEval pair's side) as the story step reads an article: no title, no
    time of its own (every pair reads as simultaneous)."""
    return {
        "article_id": article_id,
        "outlet": article_id,
        "title": "",
        "body": text,
        "seen_at": "2020-01-01T00:00:00.000Z",
        "tags": {"language": language, "places": []},
    }


def pair_score(reader: StoryReader, a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """The score with which `b` would join the story `a` opened (0.0 when either is too short
    to compare)."""
    return text_pair_score(reader.read(a), reader.read(b))


def text_pair_score(first: StoryText | TooShort, second: StoryText | TooShort) -> float:
    if not isinstance(first, StoryText) or not isinstance(second, StoryText):
        return 0.0
    return scored(second, opened_by(first))[0]


def pair_scores_across_languages(
    reader: StoryReader, encoder: Encoder, pairs: Sequence[tuple[Mapping[str, Any], ...]]
) -> list[float]:
    """pair_score() of each pair with the texts' meanings, as the step with
    story_cross_language on computes them (all texts encoded in one call)."""
    messages = [m for pair in pairs for m in pair]
    texts = with_meanings(encoder, messages, [reader.read(m) for m in messages])
    return [text_pair_score(texts[2 * i], texts[2 * i + 1]) for i in range(len(pairs))]


def b_cubed(found: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float]:
    """B-cubed precision and recall (Bagga and Baldwin, 1998) of a clustering (item -> cluster)
    against the gold one, over the items of the gold clustering."""
    items = list(gold)
    clusters = _members(found, items)
    stories = _members(gold, items)
    precision = recall = 0.0
    for item in items:
        mine, true = clusters[found[item]], stories[gold[item]]
        both = len(mine & true)
        precision += both / len(mine)
        recall += both / len(true)
    return precision / len(items), recall / len(items)


def _members(assignment: Mapping[str, str], items: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in items:
        out.setdefault(assignment[item], set()).add(item)
    return out


def batches(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def sentence_encoder() -> Encoder | None:
    """The encoder story_cross_language runs, if its package is installed."""
    try:
        from adapters.sentence_encoder import UniversalSentenceEncoder

        return UniversalSentenceEncoder(threads=2)  # imports the package
    except ImportError:
        return None
