"""`make bench-dedupe DATA=<dir>`: articles per second per core through the dedupe stage's
real path (handler, Lua script, real Redis), side by side with datasketch's MinHashLSH using
its Redis storage on the same articles, in the same run. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import redis
from datasketch import MinHash, MinHashLSH

from adapters.dedupe_index import RedisDedupeIndex
from adapters.redis_client import connect_redis
from evaluation.ant_corpus import CITATION, CorpusArticle, read_corpus
from evaluation.results import write_results
from evaluation.step_cpu import per_article_us, step_cpu
from schemas.records import InRecord
from schemas.topics import Topics
from services.process import free_port
from services.redis_server import RedisConfig, start_redis
from workers.dedupe import body, handler
from workers.dedupe.body import Body
from workers.dedupe.handler import DedupeStage
from workers.dedupe.minhash import shingle_hashes
from workers.dedupe.normalize import tokens
from workers.process_gc import settle_after_start_up

SEEN_AT = "2018-03-01T12:00:00.000Z"
WEEK_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Run:
    name: str
    articles: int
    wall_s: float
    cpu_s: float  # this process
    redis_cpu_s: float
    redis_bytes: int
    redis_bytes_second_half: int  # growth over the second half: the marginal cost
    second_half_articles: int

    def __add__(self, other: Run) -> Run:
        return Run(
            self.name, self.articles + other.articles, self.wall_s + other.wall_s,
            self.cpu_s + other.cpu_s, self.redis_cpu_s + other.redis_cpu_s,
            self.redis_bytes + other.redis_bytes,
            self.redis_bytes_second_half + other.redis_bytes_second_half,
            self.second_half_articles + other.second_half_articles,
        )  # fmt: skip

    @property
    def per_core(self) -> float:
        """Articles per second of this process's CPU: one worker on one core."""
        return self.articles / self.cpu_s

    @property
    def per_core_with_redis(self) -> float:
        """Articles per second of the worker's and its Redis's CPU together: the Redis is
        single-threaded and shared by every worker, so its CPU per article is also the
        ceiling of the whole stage (one Redis core)."""
        return self.articles / (self.cpu_s + self.redis_cpu_s)

    def figures(self) -> dict[str, float]:
        return {
            "articles": self.articles, "wall_s": round(self.wall_s, 3),
            "articles_per_s_wall": round(self.articles / self.wall_s, 1),
            "articles_per_s_per_core": round(self.per_core, 1),
            "worker_cpu_us_per_article": round(self.cpu_s / self.articles * 1e6, 1),
            "redis_cpu_us_per_article": round(self.redis_cpu_s / self.articles * 1e6, 1),
            "redis_bytes_per_article": round(self.redis_bytes / self.articles, 1),
            "redis_marginal_bytes_per_article": round(
                self.redis_bytes_second_half / max(1, self.second_half_articles), 1
            ),
        }  # fmt: skip


def long_articles(corpus: Iterable[CorpusArticle], count: int, words: int) -> list[dict[str, Any]]:
    """Articles of about `words` words: consecutive corpus paragraphs, whole, until enough."""
    out: list[dict[str, Any]] = []
    paragraphs: list[str] = []
    for article in corpus:
        for paragraph in article.paragraphs:
            paragraphs.append(paragraph)
            if sum(len(p.split()) for p in paragraphs) >= words:
                out.append(_message(len(out), paragraphs))
                paragraphs = []
                if len(out) == count:
                    return out
    return out


def _message(n: int, paragraphs: Sequence[str]) -> dict[str, Any]:
    """As the extract stage sends it: the page's own <p> sequence (byline, body, footer, as
    the replay server renders a page) beside the extracted body."""
    page = (f"outlet-{n % 5} desk", *paragraphs, f"© outlet-{n % 5}. All rights reserved.")
    return {
        "schema_version": 1, "article_id": f"{n:032x}", "url": f"https://bench.invalid/{n}",
        "feed_url": "https://bench.invalid/feed", "outlet": f"outlet-{n % 5}", "title": f"t{n}",
        "body": "\n\n".join(paragraphs), "paragraphs": list(paragraphs), "body_source": "page",
        "page_paragraphs": list(page),
        "seen_at": SEEN_AT, "extracted_at": SEEN_AT,
    }  # fmt: skip


def as_decoded(message: dict[str, Any]) -> dict[str, Any]:
    """The message as a stage gets it, decoded from the topic's JSON: strs of its own. Shared
    by the contenders (or by a page and its body), the first to encode a str as UTF-8 (the
    compiled pass and orjson do, and CPython keeps the bytes) would do it for the others."""
    decoded: dict[str, Any] = orjson.loads(orjson.dumps(message))
    return decoded


def _redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


Step = Callable[[Sequence[tuple[int, Any]]], None]  # a batch of (n, article)


def measure(
    name: str, client: redis.Redis, articles: Sequence[Any], step: Step, *, batch: int = 1,
    flush: bool = True,
) -> Run:  # fmt: skip
    """`batch`: articles handed over at once, as a stage's poll hands them over; `flush`:
    empty the Redis first (off when the Redis holds someone else's keys)."""
    [run] = measure_in_turns(articles, [(name, step, batch, client)], rounds=2, flush=flush)
    return run


Contender = tuple[str, Step, int, redis.Redis]  # name, step, batch, its own Redis


def measure_in_turns(
    articles: Sequence[Any], contenders: Sequence[Contender], *, rounds: int, flush: bool = True
) -> list[Run]:
    """Each contender on the same articles, in `rounds` slices taken in turns (the one to go
    first changes each round): a slow spell of the machine, which lasts minutes here, then
    falls on every contender alike instead of on whichever ran during it. Each contender
    has a Redis server of its own, so that its memory and CPU are its own. The second half
    of the rounds gives the marginal bytes."""
    if flush:
        for *_, client in contenders:
            client.flushall()
    numbered = list(enumerate(articles))
    size = -(-len(numbered) // rounds)
    pieces = [numbered[i : i + size] for i in range(0, len(numbered), size)]
    totals: dict[str, Run] = {}
    for r, piece in enumerate(pieces):
        first = r % len(contenders)
        for name, step, batch, client in [*contenders[first:], *contenders[:first]]:
            batches = [piece[i : i + batch] for i in range(0, len(piece), batch)]
            run = _measured_slice(name, client, batches, step, r >= len(pieces) // 2)
            totals[name] = totals[name] + run if name in totals else run
    return [totals[name] for name, *_ in contenders]


def _measured_slice(
    name: str, client: redis.Redis, batches: Sequence[Sequence[tuple[int, Any]]], step: Step,
    second_half: bool,
) -> Run:  # fmt: skip
    batches = [[(n, as_decoded(m)) for n, m in chunk] for chunk in batches]
    memory, redis_cpu = _used_memory(client), _redis_cpu(client)
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in batches:
        step(chunk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    grown, count = _used_memory(client) - memory, sum(map(len, batches))
    return Run(
        name, count, wall, cpu, _redis_cpu(client) - redis_cpu, grown,
        grown if second_half else 0, count if second_half else 0,
    )  # fmt: skip


def _used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def ours(client: redis.Redis, window_s: int, bucket_bits: int) -> Step:
    index = RedisDedupeIndex(client, "bench:ours:", bucket_bits=bucket_bits)
    stage = DedupeStage(index, Topics(), window_s=window_s)
    stage.warm_up()  # the folding table is built before the clock starts

    def step(chunk: Sequence[tuple[int, Any]]) -> None:
        inputs = [(m, InRecord("news.articles.v1", 0, n, None, b"")) for n, m in chunk]
        for outcome in stage.handle_batch(inputs):
            if isinstance(outcome, Exception):
                raise outcome

    return step


def baseline(port: int) -> Step:
    lsh = MinHashLSH(storage_config={
        "type": "redis", "basename": b"bench:datasketch",
        "redis": {"host": "127.0.0.1", "port": port},
    })  # fmt: skip

    def step(chunk: Sequence[tuple[int, Any]]) -> None:
        for _, message in chunk:
            shingles = shingle_hashes(tokens(message["body"]))
            signature = MinHash()
            signature.update_batch(int(h).to_bytes(8, "little") for h in shingles)
            lsh.query(signature)
            lsh.insert(message["article_id"], signature)

    return step


def profile_ours(
    client: redis.Redis, articles: Sequence[Any], bucket_bits: int, batch: int
) -> dict[str, float]:
    """CPU µs per article of each step of the stage (inclusive), by step_cpu's timers."""
    client.flushall()
    step = ours(client, WEEK_S, bucket_bits)
    steps = [
        (body, "fold_body"), (Body, "of"), (Body, "without"), (handler, "duplication_report"),
        (DedupeStage, "prepare"),
        (RedisDedupeIndex, "observe_many"), (handler, "decide"),
        (RedisDedupeIndex, "record_clusters"), (handler, "encode"), (DedupeStage, "handle_batch"),
    ]  # fmt: skip
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
        "--batch", type=int, default=100,
        help="articles per poll: a stage with a backlog polls about 100 of these (the broker's"
        " 1 MB per partition fetch); a caught-up stage polls one at a time, also measured",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=10,
        help="slices of the articles, each measured for every method in turn",
    )  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="also show where the time goes")
    parser.add_argument("--out", type=Path, default=Path("results/bench-dedupe.json"))
    args = parser.parse_args(argv)
    articles = long_articles(read_corpus(args.data), args.articles, args.words)
    words = sum(len(a["body"].split()) for a in articles) / len(articles)
    # The articles are the bench's input, held all run long; a stage holds only the batch
    # it is on. Frozen with what start-up built, as a stage process freezes that, they are
    # not walked by every full collection of the garbage collector, which cost the newsflow
    # stage about 8 µs an article here (timed with gc.callbacks).
    settle_after_start_up()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        clients, ports = [], []
        for n in range(3):
            cfg = RedisConfig(port=free_port(), data_dir=Path(tmp) / str(n), persistent=False)
            servers.callback(start_redis(cfg).stop)
            clients.append(connect_redis(cfg.url))
            ports.append(cfg.port)
        contenders = [
            (f"newsflow, batches of {args.batch}",
             ours(clients[0], WEEK_S, args.bucket_bits), args.batch, clients[0]),
            ("newsflow, one at a time", ours(clients[1], WEEK_S, args.bucket_bits), 1, clients[1]),
            ("datasketch MinHashLSH", baseline(ports[2]), 1, clients[2]),
        ]  # fmt: skip
        runs = measure_in_turns(articles, contenders, rounds=args.rounds)
        profile = (
            profile_ours(clients[0], articles, args.bucket_bits, args.batch) if args.profile else {}
        )
    print(f"{len(articles)} articles of {words:.0f} words on average; data: {CITATION}")
    header = ("art/s/core", "art/s wall", "worker µs", "redis µs", "redis B", "marginal B")
    print(f"{'':<27}" + "".join(f"{h:>11}" for h in header))
    for run in runs:
        f = run.figures()
        cells = (
            f["articles_per_s_per_core"], f["articles_per_s_wall"], f["worker_cpu_us_per_article"],
            f["redis_cpu_us_per_article"], f["redis_bytes_per_article"],
            f["redis_marginal_bytes_per_article"],
        )  # fmt: skip
        print(f"{run.name:<27}" + "".join(f"{c:>11.0f}" for c in cells))
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
        "words": words, "batch": args.batch, "runs": {r.name: r.figures() for r in runs},
        "ratio_per_core": ratio, "ratio_per_core_one_at_a_time": single,
        "ratio_worker_and_redis_cpu": with_redis,
        "profile_us_per_article": {k: round(v, 1) for k, v in profile.items()},
    }  # fmt: skip
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
