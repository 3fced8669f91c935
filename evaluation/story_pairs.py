"""`make story-pairs DATA=<dir>`: draw pairs of ANT articles to be labelled by hand as the
same story, related, or different (evaluation/story_cases/guidelines.md).

Pairs are two articles of different outlets published within two days of each other, drawn
in equal numbers from every band of their TF-IDF cosine (evaluation/story_reference.py),
so that the set spans the whole range, not only the near copies. The draw is seeded: the
same data gives the same pairs. Writes the pairs as corpus ids (what the repository keeps),
and, with --texts, the pairs' titles and leads to a file for the people who label them
(never kept in the repository: the texts belong to their publishers).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evaluation.ant_corpus import CITATION, CorpusArticle, lead, published, read_corpus
from evaluation.story_reference import TfIdf, text_of

BANDS = ((0.05, 0.1), (0.1, 0.15), (0.15, 0.2), (0.2, 0.3), (0.3, 0.4), (0.4, 0.55), (0.55, 1.01))
WINDOW_DAYS = 2


def band_of(cosine: float) -> int | None:
    for i, (low, high) in enumerate(BANDS):
        if low <= cosine < high:
            return i
    return None


def candidate_pairs(
    articles: Sequence[CorpusArticle], tfidf: TfIdf
) -> dict[int, list[tuple[int, int, float]]]:
    """Per cosine band, the pairs of different outlets published within WINDOW_DAYS."""
    dated = sorted((when, i) for i, a in enumerate(articles) if (when := published(a)) is not None)
    found: dict[int, list[tuple[int, int, float]]] = {i: [] for i in range(len(BANDS))}
    start = 0
    for end in range(len(dated)):
        while (dated[end][0] - dated[start][0]).days >= WINDOW_DAYS:
            start += 1
        if end + 1 < len(dated) and dated[end + 1][0].date() == dated[end][0].date():
            continue  # one block a day: the window ending with this day's last article
        day = [i for when, i in dated[start : end + 1]]
        today = {i for when, i in dated[start : end + 1] if when.date() == dated[end][0].date()}
        block = tfidf.rows[day]
        scores = (block @ block.T).toarray()
        for x, a in enumerate(day):
            if a not in today:
                continue
            for y in np.nonzero(scores[x] >= BANDS[0][0])[0]:
                b = day[int(y)]
                if b == a or articles[a].source == articles[b].source:
                    continue
                if b in today and b < a:
                    continue  # a pair within the day once
                band = band_of(float(scores[x, y]))
                if band is not None:
                    found[band].append((min(a, b), max(a, b), float(scores[x, y])))
    return found


def draw(
    found: dict[int, list[tuple[int, int, float]]], per_band: int, seed: int
) -> list[tuple[int, int, float]]:
    """per_band pairs from every band, an article in at most two pairs of the draw."""
    rng = random.Random(seed)
    used: dict[int, int] = {}
    drawn: list[tuple[int, int, float]] = []
    for band in sorted(found):
        pairs = sorted(set(found[band]))
        rng.shuffle(pairs)
        taken = 0
        for a, b, cosine in pairs:
            if taken == per_band:
                break
            if used.get(a, 0) >= 2 or used.get(b, 0) >= 2:
                continue
            used[a], used[b] = used.get(a, 0) + 1, used.get(b, 0) + 1
            drawn.append((a, b, cosine))
            taken += 1
    return drawn


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--per-band", type=int, default=48)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--out", type=Path, default=Path("results") / "story-pairs.tsv")
    parser.add_argument("--texts", type=Path, help="where to write titles and leads to label")
    args = parser.parse_args(argv)
    articles = list(read_corpus(args.data))
    tfidf = TfIdf([text_of(a) for a in articles])
    found = candidate_pairs(articles, tfidf)
    drawn = draw(found, args.per_band, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        out.write("pair\tdocno_a\tdocno_b\tcosine\n")
        for n, (a, b, cosine) in enumerate(drawn, 1):
            out.write(f"{n}\t{articles[a].docno}\t{articles[b].docno}\t{cosine:.3f}\n")
    if args.texts:
        with args.texts.open("w", encoding="utf-8") as out:
            for n, (a, b, cosine) in enumerate(drawn, 1):
                out.write(f"=== pair {n} (cosine {cosine:.2f})\n")
                for side, i in (("A", a), ("B", b)):
                    x = articles[i]
                    out.write(f"--- {side} {x.source} {x.published}\n{x.title}\n{lead(x)}\n")
    print(
        f"{len(drawn)} pairs; candidates per band: "
        + ", ".join(f"{BANDS[b][0]:.2f}+: {len(found[b])}" for b in sorted(found))
    )
    print(f"data: {CITATION}")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
