"""The hand-made story sets (evaluation/story_cases/): the labelled ANT pairs and the
hand-grouped day, read as the commands use them."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

from evaluation.ant_corpus import CorpusArticle, published, read_corpus

STORY_CASES = Path(__file__).resolve().parent / "story_cases"
ANT_PAIRS = STORY_CASES / "ant-pairs.tsv"
ANT_DAY = STORY_CASES / "ant-day-2018-04-10.tsv"


def read_labels(path: Path = ANT_PAIRS) -> list[dict[str, str]]:
    """Every labelled ANT pair: docno_a, docno_b, label, second_label ("" when labelled once)."""
    with path.open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows, delimiter="\t"))


def read_grouping(path: Path = ANT_DAY, column: str = "story") -> dict[str, str]:
    """docno -> story label, from a grouping file (columns docno, story and, where a second
    grouping was made, second_story); the articles the column labels."""
    with path.open(encoding="utf-8", newline="") as rows:
        return {
            row["docno"]: row[column]
            for row in csv.DictReader(rows, delimiter="\t")
            if row.get(column)
        }


def day_of_grouping(path: Path) -> date:
    """The day a grouping file covers, from its name (ant-day-YYYY-MM-DD.tsv)."""
    return date.fromisoformat(path.stem.removeprefix("ant-day-"))


def articles_of_day(data: Path, day: date) -> list[tuple[datetime, CorpusArticle]]:
    """The day's articles (UTC), in publication order (ties by corpus id)."""
    found = [
        (when.astimezone(UTC), a)
        for a in read_corpus(data)
        if (when := published(a)) is not None and when.astimezone(UTC).date() == day
    ]
    return sorted(found, key=lambda pair: (pair[0], pair[1].docno))
