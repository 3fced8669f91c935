"""`make story-day DATA=<dir> ARGS="--day 2018-04-10 --texts FILE"`: one full day of the ANT
Corpus in publication order, its titles and leads written for the people who group it into
stories (evaluation/story_cases/guidelines.md). The texts are never kept in the repository
(they belong to their publishers); the grouping is, as corpus ids and story labels
(evaluation/story_cases/ant-day-<day>.tsv), and `make eval-stories` scores the story level
on it with B-cubed precision and recall.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from evaluation.ant_corpus import CITATION, lead
from evaluation.story_sets import articles_of_day


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    parser.add_argument("--texts", type=Path, required=True)
    args = parser.parse_args(argv)
    day = articles_of_day(args.data, args.day)
    with args.texts.open("w", encoding="utf-8") as out:
        for n, (when, a) in enumerate(day, 1):
            out.write(f"=== {n} {a.docno} {a.source} {when:%H:%M} {a.category}\n")
            out.write(f"{a.title}\n{lead(a)}\n")
    print(f"{len(day)} articles of {args.day}; data: {CITATION}; written: {args.texts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
