"""`make bench-stories` runs end to end on a tiny synthetic corpus, so that it cannot rot.
(Its real figures come from the shared data folder; the test never needs it.)"""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from evaluation import bench_stories
from evaluation.ant_corpus import CORPUS
from tests.synthetic import sentence

pytestmark = pytest.mark.integration

START = datetime(2018, 3, 1, 6, 0, tzinfo=UTC)


def _dated_corpus(folder: Path, articles: int) -> Path:
    """Articles an hour apart, written in reverse (the bench puts them in publication order);
    every fifth repeats the one before it under another outlet, a copy for the dedupe stage
    and a member of the same story for the story step."""
    rng = random.Random(5)
    docs: list[dict[str, object]] = []
    for n in range(articles):
        copy = n % 5 == 4
        paragraphs = docs[-1]["paragraphs"] if copy else [sentence(rng, 14, 30) for _ in range(4)]
        docs.append(
            {
                "docno": f"SYN-{n}",
                "url": f"https://synthetic.invalid/{n}",
                "source": f"outlet-{n % 3}",
                "category": "test",
                "title": f"story {n - 1 if copy else n}",
                "published": format_datetime(START + timedelta(hours=n)),
                "paragraphs": paragraphs,
            }
        )
    path = folder / CORPUS
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for doc in reversed(docs):
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return folder


def test_bench_stories_prints_and_writes_both_stages_and_the_story_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _dated_corpus(tmp_path / "data", 40)
    out = tmp_path / "bench-stories.json"
    args = [str(data), "--articles", "30", "--batch", "8", "--rounds", "2", "--profile"]
    assert bench_stories.main([*args, "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["first_published"] < result["last_published"]
    runs = result["runs"]
    assert set(runs) == {"story step", "dedupe stage"}
    assert all(r["articles"] == 30 and r["articles_per_s_per_core"] > 0 for r in runs.values())
    assert result["story_roles"]["copy"] >= 5
    assert {"s", "a", "p"} <= set(result["story_redis_bytes_by_kind"])
    assert result["story_redis_bytes_per_article"] > 0
    assert {"read", "read_many", "decide", "commit_many"} <= set(result["profile_us_per_article"])
    assert result["profile_reads"]["reads_per_article"] >= 1
    assert "story step" in capsys.readouterr().out
