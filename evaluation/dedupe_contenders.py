"""The dedupe benchmarks' contenders and how they are measured: the dedupe stage's real path
(handler, Lua script, real Redis) and datasketch's MinHashLSH with its Redis storage, each
given the same articles in turns, each with a Redis server of its own (bench-dedupe; bench
takes datasketch's figure as its reference)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
from datasketch import MinHash, MinHashLSH

from adapters.dedupe_index import RedisDedupeIndex
from evaluation.corpus_messages import as_decoded
from schemas.records import InRecord
from schemas.topics import Topics
from workers.dedupe.handler import DedupeStage
from workers.dedupe.minhash import shingle_hashes
from workers.dedupe.normalize import tokens


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
            name=self.name,
            articles=self.articles + other.articles,
            wall_s=self.wall_s + other.wall_s,
            cpu_s=self.cpu_s + other.cpu_s,
            redis_cpu_s=self.redis_cpu_s + other.redis_cpu_s,
            redis_bytes=self.redis_bytes + other.redis_bytes,
            redis_bytes_second_half=self.redis_bytes_second_half + other.redis_bytes_second_half,
            second_half_articles=self.second_half_articles + other.second_half_articles,
        )

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
            "articles": self.articles,
            "wall_s": round(self.wall_s, 3),
            "articles_per_s_wall": round(self.articles / self.wall_s, 1),
            "articles_per_s_per_core": round(self.per_core, 1),
            "worker_cpu_us_per_article": round(self.cpu_s / self.articles * 1e6, 1),
            "redis_cpu_us_per_article": round(self.redis_cpu_s / self.articles * 1e6, 1),
            "redis_bytes_per_article": round(self.redis_bytes / self.articles, 1),
            "redis_marginal_bytes_per_article": round(
                self.redis_bytes_second_half / max(1, self.second_half_articles), 1
            ),
        }


# The columns of a table of runs: header, figures() key.
RUN_COLUMNS = (
    ("art/s/core", "articles_per_s_per_core"),
    ("art/s wall", "articles_per_s_wall"),
    ("worker µs", "worker_cpu_us_per_article"),
    ("redis µs", "redis_cpu_us_per_article"),
    ("redis B", "redis_bytes_per_article"),
)
MARGINAL_COLUMN = ("marginal B", "redis_marginal_bytes_per_article")


def print_runs(
    runs: Sequence[Run],
    *,
    name_width: int,
    cell_width: int,
    columns: Sequence[tuple[str, str]] = RUN_COLUMNS,
) -> None:
    """One line per run, its figures side by side under a header."""
    print(f"{'':<{name_width}}" + "".join(f"{h:>{cell_width}}" for h, _ in columns))
    for run in runs:
        figures = run.figures()
        cells = "".join(f"{figures[key]:>{cell_width}.0f}" for _, key in columns)
        print(f"{run.name:<{name_width}}" + cells)


Step = Callable[[Sequence[tuple[int, Any]]], None]  # a batch of (n, article)
Contender = tuple[str, Step, int, redis.Redis]  # name, step, batch, its own Redis


def _redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def _used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def measure(
    name: str,
    client: redis.Redis,
    articles: Sequence[Any],
    step: Step,
    *,
    batch: int = 1,
    flush: bool = True,
) -> Run:
    """`batch`: articles handed over at once, as a stage's poll hands them over; `flush`:
    empty the Redis first (off when the Redis holds someone else's keys)."""
    [run] = measure_in_turns(articles, [(name, step, batch, client)], rounds=2, flush=flush)
    return run


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
    name: str,
    client: redis.Redis,
    batches: Sequence[Sequence[tuple[int, Any]]],
    step: Step,
    second_half: bool,
) -> Run:
    batches = [[(n, as_decoded(m)) for n, m in chunk] for chunk in batches]
    memory, redis_cpu = _used_memory(client), _redis_cpu(client)
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in batches:
        step(chunk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    grown, count = _used_memory(client) - memory, sum(map(len, batches))
    return Run(
        name=name,
        articles=count,
        wall_s=wall,
        cpu_s=cpu,
        redis_cpu_s=_redis_cpu(client) - redis_cpu,
        redis_bytes=grown,
        redis_bytes_second_half=grown if second_half else 0,
        second_half_articles=count if second_half else 0,
    )


def newsflow_step(client: redis.Redis, window_s: int, bucket_bits: int) -> Step:
    """The dedupe stage on `client`'s Redis, whole: handle_batch as the stage's poll calls it."""
    index = RedisDedupeIndex(client, "bench:ours:", bucket_bits=bucket_bits)
    stage = DedupeStage(index, Topics(), window_s=window_s)
    stage.warm_up()  # the folding table is built before the clock starts

    def step(chunk: Sequence[tuple[int, Any]]) -> None:
        inputs = [(m, InRecord("news.articles.v1", 0, n, None, b"")) for n, m in chunk]
        for outcome in stage.handle_batch(inputs):
            if isinstance(outcome, Exception):
                raise outcome

    return step


def datasketch_step(port: int) -> Step:
    """datasketch's MinHashLSH (its defaults) with its Redis storage on 127.0.0.1:`port`, fed
    the same word shingles of the same normalized text as ours: a query, then an insert."""
    lsh = MinHashLSH(
        storage_config={
            "type": "redis",
            "basename": b"bench:datasketch",
            "redis": {"host": "127.0.0.1", "port": port},
        }
    )

    def step(chunk: Sequence[tuple[int, Any]]) -> None:
        for _, message in chunk:
            shingles = shingle_hashes(tokens(message["body"]))
            signature = MinHash()
            signature.update_batch(int(h).to_bytes(8, "little") for h in shingles)
            lsh.query(signature)
            lsh.insert(message["article_id"], signature)

    return step
