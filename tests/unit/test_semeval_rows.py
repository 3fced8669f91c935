"""The SemEval pairs' reader: the original articles of one language, translations left out."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from evaluation.semeval_rows import original_articles

COLUMNS = ["pair_id", "lang1", "lang2", "text1", "text2", "Overall"]


def write_pairs(path: Path, rows: list[list[str]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def test_original_articles_keep_one_text_an_article_and_leave_translations_out(
    tmp_path: Path,
) -> None:
    pairs = write_pairs(
        tmp_path / "pairs.csv.gz",
        [
            ["101_102", "en", "en", "first text", "second text", "1.0"],
            ["101_203", "en", "de", "first text again", "ein Text", "2.0"],
            ["304_305en", "en", "en", "an original", "a machine translation", "3.0"],
            ["406_407", "de", "en", "ein anderer Text", "", "4.0"],
        ],
    )
    assert original_articles(pairs, "en") == {
        "101": "first text",
        "102": "second text",
        "304": "an original",
    }
    assert original_articles(pairs, "de") == {"203": "ein Text", "406": "ein anderer Text"}
