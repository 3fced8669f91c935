"""`make bench-dedupe DATA=<dir>`: articles per second per core through the dedupe stage's
real path (handler, Lua script, real Redis), side by side with datasketch's MinHashLSH using
its Redis storage on the same articles, in the same run. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import redis

from adapters.dedupe_index import RedisDedupeIndex
from adapters.metrics import bind_prometheus
from adapters.redis_client import connect_redis
from evaluation.ant_corpus import CITATION, read_corpus
from evaluation.corpus_messages import as_decoded, long_articles
from evaluation.dedupe_contenders import (
    MARGINAL_COLUMN,
    RUN_COLUMNS,
    datasketch_step,
    measure_in_turns,
    newsflow_step,
    print_runs,
)
from evaluation.results import write_results
from evaluation.step_cpu import per_article_us, step_cpu
from services.process import free_port
from services.redis_server import RedisConfig, start_redis
from workers.dedupe import body, handler, prepared
from workers.dedupe.body import Body
from workers.dedupe.handler import DedupeStage
from workers.process_gc import freeze_start_up_and_tune_gc

WEEK_S = 7 * 24 * 3600


def profile_ours(
    client: redis.Redis, articles: Sequence[Any], bucket_bits: int, batch: int
) -> dict[str, float]:
    """CPU µs per article of each step of the stage (inclusive), by step_cpu's timers."""
    client.flushall()
    step = newsflow_step(client, WEEK_S, bucket_bits)
    steps = [
        (body, "fold_body"),
        (Body, "of"),
        (Body, "without"),
        (prepared, "duplication_report"),
        (DedupeStage, "prepare"),
        (RedisDedupeIndex, "observe_many"),
        (handler, "decide"),
        (RedisDedupeIndex, "record_clusters"),
        (handler, "encode"),
        (DedupeStage, "handle_batch"),
    ]
    numbered = [(n, as_decoded(a)) for n, a in enumerate(articles)]
    with step_cpu(steps) as spent:
        for i in range(0, len(numbered), batch):
            step(numbered[i : i + batch])
    return per_article_us(spent, len(articles))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--words", type=int, default=600, help="words per article")
    parser.add_argument("--bucket-bits", type=int, default=14, help="dedupe_bucket_bits")
    parser.add_argument(
        "--batch",
        type=int,
        default=100,
        help="articles per poll: a stage with a backlog polls about 100 of these (the broker's"
        " 1 MB per partition fetch); a caught-up stage polls one at a time, also measured",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=10,
        help="slices of the articles, each measured for every method in turn",
    )
    parser.add_argument("--profile", action="store_true", help="also show where the time goes")
    parser.add_argument("--out", type=Path, default=Path("results/bench-dedupe.json"))
    args = parser.parse_args(argv)
    bind_prometheus()  # the stage counts its verdicts as it does in production
    articles = long_articles(read_corpus(args.data), args.articles, args.words)
    words = sum(len(a["body"].split()) for a in articles) / len(articles)
    # The articles are the bench's input, held all run long; a stage holds only the batch
    # it is on. Frozen with what start-up built, as a stage process freezes that, they are
    # not walked by every full collection of the garbage collector, which cost the newsflow
    # stage about 8 µs an article here (timed with gc.callbacks).
    freeze_start_up_and_tune_gc()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        clients, ports = [], []
        for n in range(3):
            cfg = RedisConfig(port=free_port(), data_dir=Path(tmp) / str(n), persistent=False)
            servers.callback(start_redis(cfg).stop)
            clients.append(connect_redis(cfg.url))
            ports.append(cfg.port)
        contenders = [
            (
                f"newsflow, batches of {args.batch}",
                newsflow_step(clients[0], WEEK_S, args.bucket_bits),
                args.batch,
                clients[0],
            ),
            (
                "newsflow, one at a time",
                newsflow_step(clients[1], WEEK_S, args.bucket_bits),
                1,
                clients[1],
            ),
            ("datasketch MinHashLSH", datasketch_step(ports[2]), 1, clients[2]),
        ]
        runs = measure_in_turns(articles, contenders, rounds=args.rounds)
        profile = (
            profile_ours(clients[0], articles, args.bucket_bits, args.batch) if args.profile else {}
        )
    print(f"{len(articles)} articles of {words:.0f} words on average; data: {CITATION}")
    print_runs(runs, name_width=27, cell_width=11, columns=(*RUN_COLUMNS, MARGINAL_COLUMN))
    ratio = runs[0].per_core / runs[-1].per_core
    single = runs[1].per_core / runs[-1].per_core
    print(f"ratio (per core, newsflow / datasketch): {ratio:.1f}x ({single:.1f}x one at a time)")
    with_redis = runs[0].per_core_with_redis / runs[-1].per_core_with_redis
    print(f"ratio counting Redis's CPU too (worker + redis µs): {with_redis:.1f}x")
    if profile:
        print("where the stage's time goes (CPU µs per article, inclusive; handle_batch is all):")
        for name, micros in profile.items():
            print(f"  {name:<22}{micros:>8.0f}")
    result = {
        "words": words,
        "batch": args.batch,
        "runs": {r.name: r.figures() for r in runs},
        "ratio_per_core": ratio,
        "ratio_per_core_one_at_a_time": single,
        "ratio_worker_and_redis_cpu": with_redis,
        "profile_us_per_article": {k: round(v, 1) for k, v in profile.items()},
    }
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
