"""The rows of the SemEval-2022 Task 8 training pairs in the shared data folder
(story-similarity/README.md there gives the columns)."""

from __future__ import annotations

import csv
import gzip
import sys
from collections.abc import Iterator
from pathlib import Path

SEMEVAL = Path("story-similarity") / "semeval2022-task8-train.csv.gz"


def semeval_rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)  # some scraped texts are longer than csv's default
    with gzip.open(path, "rt", encoding="utf-8", newline="") as rows:
        yield from csv.DictReader(rows)


def original_articles(path: Path, language: str) -> dict[str, str]:
    """The texts of one language by article id, leaving out the machine translations (an
    id with a language suffix, "1484008155es")."""
    texts: dict[str, str] = {}
    for row in semeval_rows(path):
        ids = row["pair_id"].split("_")
        if len(ids) != 2:
            continue
        for article, lang, text in (
            (ids[0], row["lang1"], row["text1"]),
            (ids[1], row["lang2"], row["text2"]),
        ):
            if lang == language and article.isdigit() and text:
                texts.setdefault(article, text)
    return texts
