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
import csv
import gzip
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.ant_corpus import CITATION, read_corpus
from evaluation.results import write_results
from evaluation.story_reference import LINK_COSINE, TfIdf, pearson, text_of

SEMEVAL = Path("story-similarity") / "semeval2022-task8-train.csv.gz"
ANT_PAIRS = Path(__file__).resolve().parent / "story_cases" / "ant-pairs.tsv"
VERY_SIMILAR, UNRELATED = 1.5, 3.5
LABELS = ("same", "related", "different")


@dataclass(frozen=True)
class RatedPair:
    languages: str  # "ar-ar", "de-en", ...
    overall: float  # 1 very similar .. 4 very dissimilar
    text_a: str
    text_b: str


def read_semeval(path: Path) -> list[RatedPair]:
    csv.field_size_limit(sys.maxsize)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as rows:
        return [
            RatedPair(
                languages=f"{row['lang1']}-{row['lang2']}",
                overall=float(row["Overall"]),
                text_a=row["text1"] or "",
                text_b=row["text2"] or "",
            )
            for row in csv.DictReader(rows)
        ]


@dataclass(frozen=True)
class RatedFigures:
    pairs: int
    abs_pearson: float
    very_similar: int
    very_similar_linked: float
    unrelated: int
    unrelated_linked: float


def rated_figures(overall: Sequence[float], scores: Sequence[float]) -> RatedFigures:
    similar = [s for o, s in zip(overall, scores, strict=True) if o <= VERY_SIMILAR]
    unrelated = [s for o, s in zip(overall, scores, strict=True) if o >= UNRELATED]
    return RatedFigures(
        pairs=len(overall),
        abs_pearson=abs(pearson(overall, scores)),
        very_similar=len(similar),
        very_similar_linked=linked_share(similar),
        unrelated=len(unrelated),
        unrelated_linked=linked_share(unrelated),
    )


def linked_share(scores: Sequence[float], threshold: float = LINK_COSINE) -> float:
    return sum(s >= threshold for s in scores) / len(scores) if scores else 0.0


def semeval_table(pairs: Sequence[RatedPair]) -> dict[str, RatedFigures]:
    """Figures per language pair, then for the same-language and cross-language pairs."""
    tfidf = TfIdf([text for p in pairs for text in (p.text_a, p.text_b)])
    scores = tfidf.cosines((2 * i, 2 * i + 1) for i in range(len(pairs)))
    groups: dict[str, list[int]] = defaultdict(list)
    for i, pair in enumerate(pairs):
        first, second = pair.languages.split("-")
        groups[pair.languages].append(i)
        groups["same language" if first == second else "across languages"].append(i)
        groups["all"].append(i)
    return {
        name: rated_figures([pairs[i].overall for i in members], [scores[i] for i in members])
        for name, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    }


def read_labels(path: Path) -> list[dict[str, str]]:
    """Every labelled ANT pair: docno_a, docno_b, label, second_label ("" when labelled once)."""
    with path.open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows, delimiter="\t"))


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


def ant_table(data: Path, labelled: Sequence[dict[str, str]]) -> dict[str, Any]:
    articles = list(read_corpus(data))
    index = {a.docno: i for i, a in enumerate(articles)}
    tfidf = TfIdf([text_of(a) for a in articles])
    by_label: dict[str, list[float]] = defaultdict(list)
    for pair in labelled:
        cosine = tfidf.cosine(index[pair["docno_a"]], index[pair["docno_b"]])
        by_label[pair["label"]].append(cosine)
    return {
        label: {"pairs": len(by_label[label]), "linked": linked_share(by_label[label])}
        for label in LABELS
    }


def print_semeval(table: dict[str, RatedFigures]) -> None:
    print(f"SemEval-2022 Task 8 training pairs; reference: TF-IDF cosine >= {LINK_COSINE}")
    print(f"{'pairs':<18} {'n':>5} {'|r|':>6} {'<=1.5 n':>8} {'linked':>7} {'>=3.5 n':>8} "
          f"{'linked':>7}")  # fmt: skip
    for name, f in table.items():
        print(
            f"{name:<18} {f.pairs:>5} {f.abs_pearson:>6.3f} {f.very_similar:>8} "
            f"{f.very_similar_linked:>7.1%} {f.unrelated:>8} {f.unrelated_linked:>7.1%}"
        )


def print_ant(table: dict[str, Any], agreed: dict[str, float], labels: Path) -> None:
    print(f"\nANT pairs labelled by hand ({labels.name}); data: {CITATION}")
    print(
        f"labelled twice: {agreed['pairs']:.0f} pairs, the same label on "
        f"{agreed['agreement']:.1%} (Cohen's kappa {agreed['kappa']:.3f})"
    )
    print(f"{'label':<10} {'n':>5} {'linked by the reference':>24}")
    for label, row in table.items():
        print(f"{label:<10} {row['pairs']:>5} {row['linked']:>24.1%}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--labels", type=Path, default=ANT_PAIRS)
    parser.add_argument("--out", type=Path, default=Path("results") / "eval-stories.json")
    args = parser.parse_args(argv)
    semeval = semeval_table(read_semeval(args.data / SEMEVAL))
    print_semeval(semeval)
    labelled = read_labels(args.labels)
    ant, agreed = ant_table(args.data, labelled), agreement(labelled)
    print_ant(ant, agreed, args.labels)
    write_results(
        args.out,
        {
            "reference": f"tf-idf cosine >= {LINK_COSINE}",
            "semeval": {name: vars(f) for name, f in semeval.items()},
            "ant": ant,
            "ant_agreement": agreed,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
