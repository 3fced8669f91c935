"""The eval and bench commands run end to end on a tiny synthetic corpus, so they cannot rot.
(The real figures come from the shared data folder; the tests never need it.)"""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest

from evaluation import (
    bench_broker,
    bench_dedupe,
    bench_pipeline,
    bench_poll,
    bench_tag,
    eval_dedupe,
    eval_polling,
    eval_tags,
)
from evaluation.ant_corpus import CORPUS
from evaluation.eval_tags import PLACE_LABELS
from evaluation.place_mention_set import load_labels
from tests.synthetic import sentence

pytestmark = pytest.mark.integration


def _synthetic_corpus(folder: Path, articles: int) -> Path:
    rng = random.Random(3)
    path = folder / CORPUS
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for n in range(articles):
            paragraphs = [sentence(rng, 14, 30) for _ in range(rng.randint(3, 9))]
            doc = {
                "docno": f"SYN-{n}",
                "url": f"https://synthetic.invalid/{n}",
                "source": "syn",
                "category": "test",
                "title": f"story {n}",
                "published": "",
                "author": "",
                "abstract": "",
                "paragraphs": paragraphs,
            }
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return folder


def test_eval_dedupe_prints_and_writes_both_methods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _synthetic_corpus(tmp_path / "data", 80)
    out = tmp_path / "eval.json"
    assert eval_dedupe.main([str(data), "--base", "50", "--copies", "40", "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert set(results["overall"]) == {"ours", "datasketch"}
    assert results["overall"]["ours"]["support"] > 0
    assert "all duplicates" in capsys.readouterr().out


def test_bench_dedupe_prints_and_writes_both_methods(tmp_path: Path) -> None:
    data = _synthetic_corpus(tmp_path / "data", 60)
    out = tmp_path / "bench.json"
    args = [
        str(data),
        "--articles",
        "20",
        "--words",
        "120",
        "--bucket-bits",
        "6",
        "--batch",
        "8",
        "--profile",
        "--out",
        str(out),
    ]
    assert bench_dedupe.main(args) == 0
    result = json.loads(out.read_text())
    assert {"observe_many", "fold_body", "encode"} <= set(result["profile_us_per_article"])
    runs = result["runs"]
    assert set(runs) == {
        "newsflow, batches of 8",
        "newsflow, one at a time",
        "datasketch MinHashLSH",
    }
    assert all(r["articles"] == 20 and r["articles_per_s_per_core"] > 0 for r in runs.values())
    assert result["ratio_worker_and_redis_cpu"] > 0


def test_bench_poll_prints_and_writes_both_servers(tmp_path: Path) -> None:
    out = tmp_path / "poll.json"
    assert bench_poll.main(["--checks", "20", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert set(results) == {"304 not modified", "200 with 50 entries"}
    assert all(r["poller"]["checks_per_s"] > 0 for r in results.values())


def test_eval_polling_prints_and_writes_both_rules(tmp_path: Path) -> None:
    out = tmp_path / "polling.json"
    assert eval_polling.main(["--bursts", "4", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["eval-polling"]
    assert {r["rule"] for r in rows} == {"before", "now"} and len(rows) == 6
    paged_now = next(r for r in rows if "RFC 5005" in r["timeline"] and r["rule"] == "now")
    assert paged_now["lost"] == 0 and paged_now["pages"] > 0


def test_eval_tags_scores_the_labelled_set_and_the_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _synthetic_corpus(tmp_path / "data", 30)
    out = tmp_path / "tags.json"
    assert eval_tags.main([str(data), "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert results["set"]["articles"] >= 60
    assert {"places/all", "entities/all", "places/ar", "entities/zh"} <= set(
        results["set"]["scores"]
    )
    assert results["language"]["ant"]["texts"] > 0  # synthetic "Arabic": scored, not asserted
    printed = capsys.readouterr().out
    assert "precision" in printed
    # The labelled place mentions are in the shared corpus, not in this one.
    labelled = len(load_labels(PLACE_LABELS))
    assert labelled >= 1_900  # both English draws and the Arabic strata
    assert results["places"] == {"labels": 0, "of": labelled}
    assert f"place mentions of real text: 0 of the {labelled:,} labelled" in printed


def test_bench_tag_prints_and_writes_every_run(tmp_path: Path) -> None:
    data = _synthetic_corpus(tmp_path / "data", 40)
    out = tmp_path / "bench-tag.json"
    args = [str(data), "--articles", "10", "--words", "100", "--profile", "--out", str(out)]
    assert bench_tag.main(args) == 0
    result = json.loads(out.read_text())
    runs = result["runs"]
    assert len(runs) == 6 and all(r["articles_per_s_per_core"] > 0 for r in runs.values())
    assert result["ratio_to_fasttext_language_only"] > 0
    assert result["ratio_to_no_context_rules"] > 0
    assert {"handle", "detect", "spot_each", "_place_tags", "keywords_in", "encode"} <= set(
        result["profile_us_per_article"]
    )


def test_bench_runs_the_whole_pipeline_on_a_tiny_corpus(
    tmp_path: Path, kafka_bootstrap: str, redis_url: str
) -> None:
    """`make bench` cannot rot: every run, reference and plot on 12 articles a run."""
    data = _synthetic_corpus(tmp_path / "data", 40)
    out = tmp_path / "bench"
    args = [
        str(data),
        "--articles",
        "12",
        "--latency-articles",
        "12",
        "--rate",
        "12",
        "--producer-records",
        "2000",
        "--kafka",
        kafka_bootstrap,
        "--redis",
        redis_url,
        "--out",
        str(out),
    ]
    assert bench_pipeline.main(args) == 0
    figures = json.loads((out / "bench.json").read_text())
    runs = figures["runs"]
    # Seven runs delivering exactly once, then saturation and steady at least once.
    assert len(runs) == 9 and all(r["articles"] == 12 for r in runs.values())
    assert {"saturation, 1 worker, at least once", "steady 12/s, 1 worker, at least once"} < set(
        runs
    )
    assert figures["ratios"]["extract_scaling_2_vs_1"] > 0
    alone = figures["ratios"]["extract_stage_alone_vs_trafilatura_per_core"]
    assert len(alone) == 4 and all(r > 0 for r in alone)
    # Each ratio run against plain trafilatura measured beside it: the two saturation runs
    # and the four extract-alone ones.
    beside = figures["ratios"]["extract_stage_vs_trafilatura_beside_run"]
    assert set(beside) == {
        n for n in runs if not n.startswith("steady") and not n.endswith("at least once")
    }
    assert all(r > 0 for r in beside.values())
    # The machine was busy with the run (the stages at least), and never more than its cores.
    cores = os.cpu_count() or 1
    assert all(0 < r["machine_cores_busy"] <= cores * 1.05 for r in runs.values())
    assert all(r["harness_cpu_ms_per_article"] > 0 for r in runs.values())
    steady = runs["steady 12/s, 1 worker"]
    assert 0 < steady["latency_ms"]["p50"] <= steady["latency_ms"]["p99"]
    # Each record's hop is part of its whole latency, so no hop's p99 can exceed the whole's.
    hops = steady["latency_hops_ms"]
    assert set(hops) == {"seen → extracted", "extracted → processed"}
    assert all(0 <= hop["p99"] <= steady["latency_ms"]["p99"] for hop in hops.values())
    assert set(steady["slowest_1pct_mean_hops_ms"]) == set(hops)
    assert set(runs["saturation, 1 worker"]["stage_cpu_ms_per_article"]) == {
        "poller",
        "extract",
        "dedupe",
        "tag",
    }
    assert figures["references"]["trafilatura.extract"] > 0
    # Every goal judged on this run's own figures.
    assert all(v["figure"] is not None for v in figures["goals"].values())
    assert figures["references"]["newsflow extract_page unguarded"] > 0
    assert figures["references"]["producer_records_per_s"] > 0
    assert all(
        (out / name).stat().st_size > 0
        for name in ("latency.png", "throughput.png", "stage-cpu.png")
    )


def test_bench_broker_prints_and_writes_every_run(tmp_path: Path) -> None:
    out = tmp_path / "bench-broker.json"
    assert bench_broker.main(["--records", "40", "--many", "10", "--out", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert len(figures["broker_cpu_us_per_record"]) == 5
    assert all(r is None or r > 0 for r in figures["ratios"].values())
