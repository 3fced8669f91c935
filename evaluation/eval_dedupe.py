"""`make eval-dedupe DATA=<dir>`: dedupe quality on the labelled set, ours side by side with
datasketch's MinHashLSH (its defaults, Redis storage) on the same articles in the same run."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from datasketch import MinHash, MinHashLSH

from adapters.dedupe_index import RedisDedupeIndex
from adapters.redis_client import connect_redis
from evaluation.ant_corpus import CITATION, read_corpus
from evaluation.dedupe_set import PERTURBATIONS, Case, build_cases, clean_base
from evaluation.results import write_results
from evaluation.scoring import Outcome, Score, overall_score, relation_score
from schemas.records import InRecord
from schemas.topics import Topics
from services.process import free_port
from services.redis_server import RedisConfig, start_redis
from workers.dedupe.body import Body
from workers.dedupe.handler import DedupeStage
from workers.dedupe.internal_duplication import internal_duplication
from workers.dedupe.minhash import shingle_hashes
from workers.dedupe.normalize import tokens
from workers.dedupe.prepared import duplication_report

RELATIONS = ("original", "exact_duplicate", "near_duplicate", "partial_reprint", "update")
SEEN_AT = "2018-03-01T12:00:00.000Z"  # one moment: the whole set sits in one window


def article_message(case: Case) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "article_id": case.article_id,
        "url": f"https://eval.invalid/{case.article_id}",
        "feed_url": "https://eval.invalid/feed",
        "outlet": case.outlet,
        "title": case.title,
        "body": "\n\n".join(case.paragraphs),
        "paragraphs": list(case.paragraphs),
        "body_source": "page",
        "seen_at": SEEN_AT,
        "extracted_at": SEEN_AT,
    }


def run_ours(cases: Sequence[Case], redis_url: str) -> list[Outcome]:
    index = RedisDedupeIndex(connect_redis(redis_url), "eval:ours:")
    stage = DedupeStage(index, Topics(), window_s=30 * 24 * 3600)
    outcomes = []
    for n, case in enumerate(cases):
        message = article_message(case)
        record = InRecord("news.articles.v1", 0, n, case.article_id.encode(), b"")
        out = json.loads(stage.handle(message, record)[0].value)["dedupe"]
        outcomes.append(Outcome(case.expected, case.cluster, out["relation"], out["cluster_id"]))
    return outcomes


def baseline_shingles(case: Case) -> list[bytes]:
    """The same word 3-gram shingles of the same normalized text as ours."""
    return [
        int(h).to_bytes(8, "little") for h in shingle_hashes(tokens("\n".join(case.paragraphs)))
    ]


def run_baseline(cases: Sequence[Case], redis_port: int) -> list[Outcome]:
    lsh = MinHashLSH(
        storage_config={
            "type": "redis",
            "basename": b"eval:datasketch",
            "redis": {"host": "127.0.0.1", "port": redis_port},
        }
    )
    outcomes = []
    for n, case in enumerate(cases):
        signature = MinHash()
        signature.update_batch(baseline_shingles(case))
        found = sorted(int(key) for key in lsh.query(signature))
        story = [cases[k].cluster for k in found]
        predicted_cluster = case.cluster if case.cluster in story else (story[0] if story else None)
        predicted = "duplicate" if found else "original"
        outcomes.append(
            Outcome(case.expected, case.cluster, predicted, predicted_cluster or case.article_id)
        )
        lsh.insert(str(n), signature)
    return outcomes


def _row(name: str, ours: Score, theirs: Score) -> str:
    return (
        f"{name:<18} {ours.support:>6}  {ours.precision:>6.3f} {ours.recall:>6.3f} {ours.f1:>6.3f}"
        f"   {theirs.recall:>6.3f} {theirs.f1 if theirs.predicted else 0:>6.3f}"
    )


def report(
    ours: list[Outcome], theirs: list[Outcome], cases: Sequence[Case], seconds: dict[str, float]
) -> dict[str, Any]:
    print(f"labelled set: {len(cases)} articles; kinds: {dict(Counter(c.kind for c in cases))}")
    print(f"data: {CITATION}\n")
    print(f"{'relation':<18} {'n':>6}  {'ours P':>6} {'R':>6} {'F1':>6}   {'dsk R':>6} {'F1':>6}")
    table: dict[str, Any] = {}
    for relation in RELATIONS:
        mine, base = relation_score(ours, relation), relation_score(theirs, relation)
        print(_row(relation, mine, base))
        table[relation] = {"ours": _figures(mine), "datasketch": _figures(base)}
    mine, base = overall_score(ours), overall_score(theirs)
    print("-" * 62)
    print(
        f"{'all duplicates':<18} {mine.support:>6}  {mine.precision:>6.3f} {mine.recall:>6.3f} "
        f"{mine.f1:>6.3f}   P {base.precision:.3f} R {base.recall:.3f} F1 {base.f1:.3f}"
    )
    print(f"\ntime: ours {seconds['ours']:.1f}s, datasketch {seconds['datasketch']:.1f}s")
    table["overall"] = {"ours": _figures(mine), "datasketch": _figures(base)}
    table["kinds"] = {k: _kind_recall(ours, theirs, cases, k) for k in ["base", *PERTURBATIONS]}
    print("\nper perturbation (right relation and story: ours / datasketch found the story):")
    for kind, figures in table["kinds"].items():
        print(
            f"  {kind:<26} n={figures['n']:<5} {figures['ours']:.3f} / {figures['datasketch']:.3f}"
        )
    return table


def _figures(score: Score) -> dict[str, float]:
    return {
        "support": score.support,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
    }


def _kind_recall(
    ours: list[Outcome], theirs: list[Outcome], cases: Sequence[Case], kind: str
) -> dict[str, Any]:
    idx = [i for i, c in enumerate(cases) if c.kind == kind]

    def right(o: Outcome) -> bool:
        named = o.predicted in (o.expected, "duplicate") or (
            o.expected == "original" and o.predicted == "original"
        )
        return named and o.predicted_cluster == o.expected_cluster

    n = len(idx) or 1
    return {
        "n": len(idx),
        "ours": sum(right(ours[i]) for i in idx) / n,
        "datasketch": sum(right(theirs[i]) for i in idx) / n,
    }


SEED_STORY = Path("seed") / "internal-duplicate-ar.txt"


def seed_check(data: Path) -> dict[str, Any] | None:
    """The project's seed case, through the same internal-duplication code as the stage."""
    path = data / SEED_STORY
    if not path.exists():
        return None
    paragraphs = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    _, report = duplication_report(Body.of(paragraphs), [])
    repaired = Body.of(paragraphs).without({r["index"] for r in report["repeats"]}).paragraphs
    distinct = list(dict.fromkeys(paragraphs))
    result = {
        "paragraphs": len(paragraphs),
        "detected": report["detected"],
        "pattern": report["pattern"],
        "repeats": len(report["repeats"]),
        "repaired_paragraphs": len(repaired),
        "repaired_is_the_distinct_paragraphs_in_order": list(repaired) == distinct,
    }
    print(f"\nseed story ({path.name}): " + ", ".join(f"{k} {v}" for k, v in result.items()))
    return result


def corpus_self_repeats(data: Path) -> dict[str, Any]:
    """How many real articles of the whole corpus repeat their own paragraphs, by pattern."""
    patterns: Counter[str] = Counter()
    for article in read_corpus(data):
        patterns[internal_duplication(article.paragraphs).pattern] += 1
    total = sum(patterns.values())
    flagged = total - patterns["none"]
    found = {k: v for k, v in patterns.items() if k != "none"}
    print(f"corpus articles whose body repeats itself: {flagged} of {total} {found}")
    return {"articles": total, "flagged": flagged, "patterns": found}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--base", type=int, default=3000, help="base articles")
    parser.add_argument("--copies", type=int, default=3000, help="perturbed copies")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("results/eval-dedupe.json"))
    args = parser.parse_args(argv)
    base = clean_base(read_corpus(args.data), args.base)
    cases = build_cases(base, args.copies, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = RedisConfig(port=free_port(), data_dir=Path(tmp), persistent=False)
        redis_server = start_redis(cfg)
        try:
            started = time.perf_counter()
            ours = run_ours(cases, cfg.url)
            middle = time.perf_counter()
            theirs = run_baseline(cases, cfg.port)
            seconds = {"ours": middle - started, "datasketch": time.perf_counter() - middle}
        finally:
            redis_server.stop()
    table = report(ours, theirs, cases, seconds)
    table["seed"] = seed_check(args.data)
    table["corpus_self_repeats"] = corpus_self_repeats(args.data)
    settings = {"base": args.base, "copies": args.copies, "seed": args.seed}
    write_results(args.out, {"args": settings, "results": table})
    return 0


if __name__ == "__main__":
    sys.exit(main())
