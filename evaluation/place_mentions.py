"""`make place-mentions DATA=<dir> ARGS="--worklist FILE"`: the place mentions of real text
to label by hand (evaluation/place_mention_set.py draws them), written to FILE with their
context; the labels go to evaluation/tag_cases/place-mentions.jsonl."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from evaluation.place_mention_set import STRATA, PlaceFinder, draw, write_worklist


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--worklist", type=Path, required=True)
    args = parser.parse_args(argv)
    finder = PlaceFinder()
    candidates, documents = draw(args.data, finder)
    write_worklist(args.worklist, candidates, documents, finder.places)
    counts = {s: sum(c.stratum == s for c in candidates) for s in STRATA}
    print(f"{len(candidates)} candidates in {len(documents)} documents: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
