"""`make bench DATA=<dir>`: the whole pipeline on the real broker and Redis, fed by the local
replay server with corpus articles rendered as feeds and pages, beside references measured
in the same run. Prints a table, writes every figure to bench.json and PNG plots under the
output folder. Asserts nothing: a benchmark, not a test.

Runs, each on its own topics and Redis keys:
1. saturation, one process per stage: every article released at once; sustained
   articles/s, per-stage CPU per article (worker thread's Kafka client and handler time
   apart), broker and Redis CPU, memory.
2. saturation, two processes per worker stage (extract, dedupe, tag): the whole
   pipeline's scaling (bounded by the machine's cores, which every process shares).
3. the poller and the extract stage alone, one and then two extract processes, twice in
   turns on the same stories: the extract stage's scaling (their summed rates).
4. steady load: articles released at --rate a second (50 by default) with two processes per
   worker stage, feeds of the newest 50 stories polled every 1 to 2 s (STEADY_FEEDS);
   end-to-end latency, feed entry seen by the poller -> record on the processed topic
   (page fetch from the local server included).
References: plain trafilatura.extract and datasketch MinHashLSH (Redis storage) on the same
pages and articles in this process; Kafka's own ProducerPerformance on the same broker
with records of the processed topic's mean size.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura
from prometheus_client.parser import text_string_to_metric_families

from adapters.kafka_client import KafkaSource, ensure_topics, group_assignment
from adapters.metrics import bind_prometheus
from adapters.redis_client import connect_redis
from evaluation.ant_corpus import CITATION, CorpusArticle, read_corpus
from evaluation.bench_goals import goal_lines, goal_verdicts
from evaluation.bench_plots import write_plots
from evaluation.bench_services import Services, services
from evaluation.dedupe_contenders import datasketch_step, measure
from evaluation.process_usage import cpu_seconds, machine_busy_seconds, resident_mb
from evaluation.results import write_results
from evaluation.run_result import RunResult
from ingest.extract import extract_page
from ingest.xpath_guards import install_guards, unguarded
from newsflow.settings import DEFAULT_TOPIC_PARTITIONS
from schemas.timestamps import parse_iso
from schemas.topics import Topics
from services.kafka_broker import DEFAULT_LIBS
from services.process import free_port
from services.replay_server import Outlet, Release, ReplayServer, Story, StorySet, render_page

WORKER_STAGES = ("extract", "dedupe", "tag")
# The last stage run -> the topic its output goes to and the field that says when.
OUTPUT_OF = {"tag": ("processed", "processed_at"), "extract": ("articles", "extracted_at")}
FEEDS_PER_SOURCE = 4  # the corpus's five outlets, each with section feeds, as news sites have


@dataclass(frozen=True)
class Feeds:
    """How the replay server shows the stories and how often the poller asks: `window` None
    shows every released story (a saturation run releases them all at once)."""

    window: int | None
    poll_s: tuple[float, float]  # the poller's shortest and longest interval per feed


# The poller and extract stage alone, with 1 and 2 extract processes, twice each in turns.
EXTRACT_RUNS = (
    (1, "extract alone, 1 worker"),
    (2, "extract alone, 2 workers"),
    (1, "extract alone, 1 worker, again"),
    (2, "extract alone, 2 workers, again"),
)

# Saturation: every story visible at once, polled often so that the run is not waiting for it.
SATURATION_FEEDS = Feeds(window=None, poll_s=(0.2, 0.5))
# Steady load: each of the 20 feeds shows its newest 50 stories, as news feeds do, and is
# polled every 1 to 2 s, so that a poll finds 2 to 5 new stories. Polling every 0.2 s made
# the poller parse 60 changed feeds a second: 9 to 12 ms of CPU per article, the largest
# consumer of the machine at 50/s, which a deployment polling its feeds every minute or
# more does not pay. The latency is counted from the poll that sees the entry either way.
STEADY_FEEDS = Feeds(window=50, poll_s=(1.0, 2.0))
_PUBLISHED_FALLBACK = "2018-03-01T12:00:00Z"


def corpus_stories(articles: Sequence[CorpusArticle]) -> StorySet:
    sources = sorted({a.source for a in articles})
    outlets = tuple(
        Outlet(f"{source}-{k}", f"{source} {k}", "ar")
        for source in sources
        for k in range(FEEDS_PER_SOURCE)
    )
    stories = []
    for n, article in enumerate(articles):
        outlet = f"{article.source}-{n % FEEDS_PER_SOURCE}"
        stories.append(
            Story(
                outlet=outlet,
                slug=f"a{n}",
                title=article.title or f"story {n}",
                published=_iso(article.published),
                paragraphs=article.paragraphs,
            )
        )
    return StorySet(outlets, tuple(stories))


def _iso(published: str) -> str:
    try:
        return email.utils.parsedate_to_datetime(published).isoformat()
    except (TypeError, ValueError):
        return _PUBLISHED_FALLBACK


@dataclass
class StageProcess:
    stage: str
    proc: subprocess.Popen[bytes]
    metrics_port: int


def _env(
    svc: Services,
    prefix: str,
    feeds: Path,
    state: Path,
    poll_s: tuple[float, float],
    delivery: str,
) -> dict[str, str]:
    shortest, longest = (str(s) for s in poll_s)
    return {
        **os.environ,
        "NEWSFLOW_DELIVERY": delivery,
        "NEWSFLOW_KAFKA_BOOTSTRAP": svc.kafka,
        "NEWSFLOW_REDIS_URL": svc.redis,
        "NEWSFLOW_TOPIC_PREFIX": prefix,
        "NEWSFLOW_GROUP_PREFIX": prefix,
        "NEWSFLOW_REDIS_KEY_PREFIX": prefix,
        "NEWSFLOW_FEEDS_FILE": str(feeds),
        "NEWSFLOW_STATE_DIR": str(state),
        "NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1",
        "NEWSFLOW_POLL_INTERVAL_S": shortest,
        "NEWSFLOW_POLL_MIN_INTERVAL_S": shortest,
        "NEWSFLOW_POLL_MAX_INTERVAL_S": longest,
        "NEWSFLOW_POLL_HOST_CONCURRENCY": "32",
        "NEWSFLOW_POLL_HOST_DELAY_S": "0",
        "NEWSFLOW_LOG_LEVEL": "WARNING",
    }


def _start(stage: str, env: dict[str, str]) -> StageProcess:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow", "run", "--stage", stage],
        env={**env, "NEWSFLOW_METRICS_PORT": str(port)},
    )
    return StageProcess(stage, proc, port)


def _wait_ready(processes: Sequence[StageProcess], svc: Services, prefix: str) -> None:
    """Every process answers /readyz and every worker group has all its partitions."""
    deadline = time.monotonic() + 120
    for p in processes:
        while not _ready(p.metrics_port):
            if p.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"stage {p.stage} did not become ready")
            time.sleep(0.2)
    for stage in {p.stage for p in processes} & set(WORKER_STAGES):
        group = f"{prefix}newsflow-{stage}-v1"
        members = sum(1 for p in processes if p.stage == stage)
        while len(group_assignment(svc.kafka, group)) < members:
            if time.monotonic() > deadline:
                raise RuntimeError(f"group {group} did not get its {members} members")
            time.sleep(0.5)


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def _thread_cpu(port: int) -> dict[str, float]:
    """The worker thread's CPU counters of one stage process, by part."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    parts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "newsflow_stage_cpu_seconds":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    parts[sample.labels["part"]] = sample.value
    return parts


def _redis_counters(url: str) -> tuple[float, int]:
    client = connect_redis(url)
    cpu, memory = client.info("cpu"), client.info("memory")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]), int(memory["used_memory"])


def run_pipeline(
    name: str,
    svc: Services,
    stories: StorySet,
    workers: int,
    rate: float | None,
    workdir: Path,
    stages: Sequence[str] = WORKER_STAGES,
    feeds_shown: Feeds = SATURATION_FEEDS,
    delivery: str = "exactly_once",
) -> RunResult:
    """The poller and `workers` processes of each of `stages`; measured on the output of the
    last stage (the processed topic for the whole pipeline, the articles topic for extract),
    read as a consumer reads it (read_committed): an article's latency ends when the reader
    gets it, which with transactions is once the last stage committed."""
    prefix = f"bench{int(time.time() * 1000) % 10**9}-{re.sub(r'[^a-z0-9]', '', name)}."
    topics = Topics(prefix)
    ensure_topics(svc.kafka, topics.all(), partitions=DEFAULT_TOPIC_PARTITIONS)
    window = feeds_shown.window or len(stories.stories)
    replay = ReplayServer.start(stories, release=Release(window=window))
    feeds = workdir / f"{prefix}feeds.toml"
    feeds.write_text(replay.site.feeds_toml(), encoding="utf-8")
    env = _env(svc, prefix, feeds, workdir / prefix, feeds_shown.poll_s, delivery)
    processes = [_start("poller", env)]
    processes += [_start(s, env) for s in stages for _ in range(workers)]
    output, done_at = OUTPUT_OF[stages[-1]]
    reader = KafkaSource.connect(svc.kafka, f"{prefix}bench-reader", [getattr(topics, output)])
    try:
        _wait_ready(processes, svc, prefix)
        reader.poll(1.0)  # join the reader's group before the clock starts
        time.sleep(1.0)
        cpu0 = {id(p): cpu_seconds(p.proc.pid) for p in processes}
        parts0 = {id(p): _thread_cpu(p.metrics_port) for p in processes if p.stage != "poller"}
        broker0, (redis_cpu0, redis_mem0) = cpu_seconds(svc.broker_pid), _redis_counters(svc.redis)
        harness0, machine0 = time.process_time(), machine_busy_seconds()
        released_at, released_wall = time.monotonic(), time.time()
        replay.site.start_release(rate)
        seen: dict[str, dict[str, Any]] = {}
        received: dict[str, float] = {}  # wall time the reader got each article
        sizes: list[int] = []
        expected = len(stories.stories)
        idle_deadline = time.monotonic() + 60
        while len(seen) < expected and time.monotonic() < idle_deadline:
            for record in reader.poll(0.5):
                message = json.loads(record.value)
                if message["article_id"] not in seen:
                    idle_deadline = time.monotonic() + 60
                    seen[message["article_id"]] = message
                    received[message["article_id"]] = time.time()
                    sizes.append(len(record.value))
        elapsed = time.monotonic() - released_at
        harness_cpu = time.process_time() - harness0
        machine_busy = machine_busy_seconds() - machine0
        stage_cpu: dict[str, float] = {}
        parts: dict[str, dict[str, float]] = {}
        rss: dict[str, float] = {}
        for n, p in enumerate(processes):
            stage_cpu[p.stage] = stage_cpu.get(p.stage, 0.0) + cpu_seconds(p.proc.pid) - cpu0[id(p)]
            rss[f"{p.stage}#{n}"] = resident_mb(p.proc.pid)
            if p.stage != "poller":
                now = _thread_cpu(p.metrics_port)
                into = parts.setdefault(p.stage, {})
                for part, value in now.items():
                    into[part] = into.get(part, 0.0) + value - parts0[id(p)].get(part, 0.0)
        broker_cpu = cpu_seconds(svc.broker_pid) - broker0 if svc.broker_pid else None
        redis_cpu, redis_mem = _redis_counters(svc.redis)
        if svc.broker_pid:
            rss["kafka broker"] = resident_mb(svc.broker_pid)
        if svc.redis_pid:
            rss["redis-server"] = resident_mb(svc.redis_pid)
    finally:
        reader.close()
        for p in processes:
            p.proc.send_signal(signal.SIGTERM)
        for p in processes:
            p.proc.wait(30)
        replay.stop()
    processed = list(received.values())
    latencies = [received[a] - parse_iso(m["seen_at"]).timestamp() for a, m in seen.items()]
    hops = {"seen → extracted": [_between(m, "seen_at", "extracted_at") for m in seen.values()]}
    if done_at != "extracted_at":
        hops["extracted → " + done_at.removesuffix("_at")] = [
            _between(m, "extracted_at", done_at) for m in seen.values()
        ]
    last = max(processed) - released_wall if processed else elapsed
    return RunResult(
        name=name,
        articles=len(seen),
        seconds=last,
        latencies_s=latencies,
        hops_s=hops,
        processed_times=sorted(t - released_wall for t in processed),
        stage_cpu_s=stage_cpu,
        stage_parts_s=parts,
        rss_mb=rss,
        broker_cpu_s=broker_cpu,
        redis_cpu_s=redis_cpu - redis_cpu0,
        redis_bytes=redis_mem - redis_mem0,
        mean_message_bytes=sum(sizes) / len(sizes) if sizes else 0.0,
        harness_cpu_s=harness_cpu,
        machine_busy_s=machine_busy,
        elapsed_s=elapsed,
    )


def _between(message: dict[str, Any], start: str, end: str) -> float:
    return (parse_iso(message[end]) - parse_iso(message[start])).total_seconds()


def rendered_pages(stories: StorySet, pages: int) -> list[bytes]:
    """The first `pages` stories as the replay server renders them."""
    outlets = {o.slug: o for o in stories.outlets}
    return [render_page(outlets[s.outlet], s).encode() for s in stories.stories[:pages]]


# What trafilatura's expressions are during a pass: nullcontext (ours, guarded) or unguarded.
Expressions = Callable[[], AbstractContextManager[None]]


def _bench_extract_page(page: bytes) -> object:
    return extract_page(page, "http://bench.invalid/")


def pages_per_core(
    extract: Callable[[bytes], object],
    html: Sequence[bytes],
    expressions: Expressions = nullcontext,
) -> float:
    """Pages per CPU second of one pass, with trafilatura's expressions as `expressions` has
    them (unguarded: as trafilatura ships)."""
    with expressions():
        started = time.process_time()
        for page in html:
            extract(page)
        return len(html) / (time.process_time() - started)


def reference_extract(stories: StorySet, pages: int, rounds: int = 3) -> dict[str, float]:
    """Plain trafilatura.extract and our extract_page, with and without the XPath guards
    (ingest/xpath_guards.py), per core, on the same rendered pages: each warmed up first (the
    first calls pay about 0.13 s of one-time set-up here, a third of a 300-page pass, which
    once made the reference look a quarter slower than it is), then the best of `rounds`
    passes, taking turns. The reference runs trafilatura as it ships, unguarded."""
    html = rendered_pages(stories, pages)
    extractors: dict[str, tuple[Callable[[bytes], object], Expressions]] = {
        "trafilatura.extract": (trafilatura.extract, unguarded),
        "newsflow extract_page": (_bench_extract_page, nullcontext),
        # What the XPath guards are worth, in the same passes.
        "newsflow extract_page unguarded": (_bench_extract_page, unguarded),
    }
    for extract, expressions in extractors.values():
        pages_per_core(extract, html[:50], expressions)
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (extract, expressions) in extractors.items():
            best[name] = max(best.get(name, 0.0), pages_per_core(extract, html, expressions))
    return {name: round(rate, 1) for name, rate in best.items()}


class BesideRuns:
    """Plain trafilatura, one pass over the same pages just before and just after each run
    that an extract ratio is taken of: the machine's speed drifts by a fifth within minutes
    here, so the reference measured at the end (reference_extract) can fall in another
    spell than the run. Its rate for a run is the mean of the two passes."""

    def __init__(self, stories: StorySet, pages: int) -> None:
        self.html = rendered_pages(stories, pages)
        self.rates: dict[str, float] = {}
        self._pass()  # warm-up: trafilatura's one-time set-up

    def _pass(self) -> float:
        return pages_per_core(trafilatura.extract, self.html, unguarded)

    def around(self, name: str, *run_args: Any, **run_kwargs: Any) -> RunResult:
        """run_pipeline(name, *run_args, **run_kwargs), with a pass before and after."""
        before = self._pass()
        result = run_pipeline(name, *run_args, **run_kwargs)
        self.rates[name] = round((before + self._pass()) / 2, 1)
        return result


def reference_dedupe(svc: Services, articles: Sequence[CorpusArticle]) -> float:
    """datasketch MinHashLSH with Redis storage, articles/s per core (this process)."""
    client = connect_redis(svc.redis)
    port = int(svc.redis.rsplit(":", 1)[1].split("/")[0])
    messages = [
        {"article_id": f"{n:032x}", "body": "\n\n".join(a.paragraphs)}
        for n, a in enumerate(articles)
    ]
    run = measure("datasketch", client, messages, datasketch_step(port), flush=False)
    return round(run.per_core, 1)


def reference_producer(svc: Services, record_bytes: int, records: int) -> float | None:
    """Kafka's ProducerPerformance (records/s) on the same broker, or None without the jars."""
    jars = sorted(DEFAULT_LIBS.glob("*.jar"))
    if not jars:
        return None
    topic = f"bench-producer-{int(time.time())}"
    ensure_topics(svc.kafka, [topic], partitions=3)
    command = [
        "java",
        "-cp",
        ":".join(str(j) for j in jars),
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--record-size",
        str(max(record_bytes, 1)),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={svc.kafka}",
        "acks=all",
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    found = re.findall(r"([\d.]+) records/sec", out.stdout)
    return float(found[-1]) if found else None


@dataclass
class Report:
    runs: dict[str, RunResult] = field(default_factory=dict)
    references: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        runs = {name: run.figures() for name, run in self.runs.items()}
        one, two = runs.get("saturation, 1 worker"), runs.get("saturation, 2 workers")
        ratios: dict[str, Any] = {}
        if one and two and one["articles_per_s"]:
            scaling = two["articles_per_s"] / one["articles_per_s"]
            ratios["pipeline_scaling_2_vs_1"] = round(scaling, 2)
        rates = {
            w: [runs[n]["articles_per_s"] for ww, n in EXTRACT_RUNS if ww == w and n in runs]
            for w in (1, 2)
        }
        if all(rates.values()) and sum(rates[1]):
            ratios["extract_scaling_2_vs_1"] = round(sum(rates[2]) / sum(rates[1]), 2)
        ref = self.references
        if ref.get("trafilatura.extract"):
            # The same stage where the poller and the broker are its only neighbours: how
            # much of its ratio the other stages' share of the two cores takes.
            alone = [
                runs[n]["stage_articles_per_s_per_core"].get("extract")
                for _, n in EXTRACT_RUNS
                if n in runs
            ]
            ratios["extract_stage_alone_vs_trafilatura_per_core"] = [
                round(rate / ref["trafilatura.extract"], 2) for rate in alone if rate
            ]
        beside = ref.get("trafilatura.extract beside each run", {})
        if beside:
            # Each run against plain trafilatura measured just before and after it.
            ratios["extract_stage_vs_trafilatura_beside_run"] = {
                name: round(rate / beside[name], 2)
                for name in beside
                if (rate := runs[name]["stage_articles_per_s_per_core"].get("extract"))
            }
        if one:
            per_core = one["stage_articles_per_s_per_core"]
            if per_core.get("extract") and ref.get("trafilatura.extract"):
                ratios["extract_stage_vs_trafilatura_per_core"] = round(
                    per_core["extract"] / ref["trafilatura.extract"], 2
                )
            if per_core.get("dedupe") and ref.get("datasketch_per_core"):
                ratios["dedupe_stage_vs_datasketch_per_core"] = round(
                    per_core["dedupe"] / ref["datasketch_per_core"], 2
                )
            if one["articles_per_s"] and ref.get("producer_records_per_s"):
                ratios["pipeline_vs_broker_ceiling"] = round(
                    one["articles_per_s"] / ref["producer_records_per_s"], 4
                )
        return {
            "runs": runs,
            "references": ref,
            "ratios": ratios,
            "goals": goal_verdicts(runs, ratios),
        }


def print_report(figures: dict[str, Any]) -> None:
    header = ("run", "articles", "art/s", "p50 ms", "p95 ms", "p99 ms", "cores busy", "bench ms")
    print("{:32} {:>8} {:>7} {:>8} {:>8} {:>8} {:>10} {:>8}".format(*header))
    for name, r in figures["runs"].items():
        lat = r["latency_ms"]
        cells = (
            r["articles_per_s"] or 0,
            lat.get("p50", 0),
            lat.get("p95", 0),
            lat.get("p99", 0),
            r["machine_cores_busy"] or 0,
            r["harness_cpu_ms_per_article"],
        )
        row = "{:7.1f} {:8.0f} {:8.0f} {:8.0f} {:10.2f} {:8.2f}".format(*cells)
        print(f"{name:32} {r['articles']:8} " + row)
    one = figures["runs"].get("saturation, 1 worker")
    if one:
        print("per stage, saturation with 1 worker: CPU ms/article, articles/s per core, and the")
        print("worker thread's CPU ms/article in its Kafka client and in its handler")
        for stage, ms in one["stage_cpu_ms_per_article"].items():
            per_core = one["stage_articles_per_s_per_core"][stage] or 0
            parts = one["worker_thread_cpu_ms_per_article"].get(stage, {})
            kafka, handle = parts.get("kafka", 0), parts.get("handle", 0)
            line = f"  {stage:8} {ms:8.2f} ms {per_core:9.1f}/s"
            print(line + (f"  kafka {kafka:.2f} handle {handle:.2f}" if parts else ""))
        print(
            f"  broker CPU {one['broker_cpu_ms_per_article']} ms/article; Redis CPU "
            f"{one['redis_cpu_ms_per_article']} ms/article, "
            f"{one['redis_bytes_per_article']} bytes/article"
        )
        print(f"  resident memory MB: {one['rss_mb']}")
    for name, r in figures["runs"].items():
        if name.startswith("steady") and r.get("latency_hops_ms"):
            print(f"{name}, per hop: p50 / p99 ms, and the mean over the slowest 1 % of records")
            for hop, q in r["latency_hops_ms"].items():
                tail = r["slowest_1pct_mean_hops_ms"][hop]
                print(f"  {hop:24} {q['p50']:8.0f} {q['p99']:8.0f} {tail:8.0f}")
    runs = figures["runs"]
    exactly, least = (
        runs.get("saturation, 1 worker"),
        runs.get("saturation, 1 worker, at least once"),
    )
    if exactly and least and least["articles_per_s"]:
        print(
            "delivery exactly_once / at_least_once, saturation with 1 worker: "
            f"{(exactly['articles_per_s'] or 0) / least['articles_per_s']:.2f}x articles/s"
        )
    print(f"references: {figures['references']}")
    print(f"ratios: {figures['ratios']}")
    for line in goal_lines(figures["goals"]):
        print(line)


def all_runs(
    report: Report,
    svc: Services,
    saturation: Sequence[StorySet],
    steady: StorySet,
    articles: Sequence[CorpusArticle],
    args: argparse.Namespace,
    work: Path,
) -> None:
    """The saturation, extract and steady runs (delivery exactly_once) and the references."""
    beside = BesideRuns(saturation[0], min(300, args.articles))
    for workers, stories in zip((1, 2), saturation, strict=True):
        name = f"saturation, {workers} worker{'s' if workers > 1 else ''}"
        report.runs[name] = beside.around(name, svc, stories, workers, None, work)
        print(f"{name}: {report.runs[name].figures()['articles_per_s']} articles/s")
    # The same stories each time, in turns (1, 2, 1, 2): on this shared machine two runs
    # of the same code minutes apart differed by half (173 and 274 articles/s).
    for workers, name in EXTRACT_RUNS:
        report.runs[name] = beside.around(
            name, svc, saturation[0], workers, None, work, stages=("extract",)
        )
    name = f"steady {args.rate:g}/s, 1 worker"  # as delivery_runs: beside its at least once
    report.runs[name] = run_pipeline(
        name=name,
        svc=svc,
        stories=steady,
        workers=1,
        rate=args.rate,
        workdir=work,
        feeds_shown=STEADY_FEEDS,
    )
    references: dict[str, Any] = reference_extract(saturation[0], min(600, args.articles))
    references["datasketch_per_core"] = reference_dedupe(svc, articles[: args.articles])
    size = int(report.runs["saturation, 1 worker"].mean_message_bytes)
    references["producer_records_per_s"] = reference_producer(svc, size, args.producer_records)
    references["producer_record_bytes"] = size
    references["trafilatura.extract beside each run"] = beside.rates
    report.references = references


def delivery_runs(
    report: Report,
    svc: Services,
    saturation: StorySet,
    steady: StorySet,
    rate: float,
    work: Path,
    exactly: bool = True,
) -> None:
    """Saturation and the steady rate, one process a stage (a fifth of its capacity at
    50/s), with delivery at_least_once, and, when `exactly`, with exactly_once first: the
    cost of transactions, side by side. Two processes a stage at 50/s commit twice the
    transactions for no gain (exactly once, p99: 764 and 1,296 ms in two runs; with one
    process a stage 673 and 485 ms)."""
    modes = [("exactly_once", "")] if exactly else []
    for delivery, suffix in [*modes, ("at_least_once", ", at least once")]:
        name = f"saturation, 1 worker{suffix}"
        report.runs[name] = run_pipeline(name, svc, saturation, 1, None, work, delivery=delivery)
        print(f"{name}: {report.runs[name].figures()['articles_per_s']} articles/s")
        name = f"steady {rate:g}/s, 1 worker{suffix}"
        report.runs[name] = run_pipeline(
            name, svc, steady, 1, rate, work, feeds_shown=STEADY_FEEDS, delivery=delivery
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--articles", type=int, default=2000, help="for each saturation run")
    parser.add_argument("--latency-articles", type=int, default=1500)
    parser.add_argument("--rate", type=float, default=50.0, help="articles/s of the steady run")
    parser.add_argument("--producer-records", type=int, default=200_000)
    parser.add_argument("--kafka", help="use this broker instead of starting one")
    parser.add_argument("--redis", help="use this Redis instead of starting one")
    parser.add_argument("--out", type=Path, default=Path("results") / "bench")
    parser.add_argument(
        "--delivery-only",
        action="store_true",
        help="only saturation and the steady rate, exactly once and at least once",
    )
    args = parser.parse_args(argv)
    install_guards()  # extract_page as the extract stage runs it
    bind_prometheus()  # the dedupe reference counts its verdicts as the stage does

    corpus = iter(read_corpus(args.data))
    need = 2 * args.articles + args.latency_articles
    articles = [a for _, a in zip(range(need), (a for a in corpus if a.paragraphs), strict=False)]
    saturation = [
        corpus_stories(articles[: args.articles]),
        corpus_stories(articles[args.articles : 2 * args.articles]),
    ]
    steady = corpus_stories(articles[2 * args.articles :])
    report = Report()
    with tempfile.TemporaryDirectory() as tmp, services(args.kafka, args.redis) as svc:
        work = Path(tmp)
        if args.delivery_only:
            delivery_runs(report, svc, saturation[0], steady, args.rate, work)
        else:
            all_runs(report, svc, saturation, steady, articles, args, work)
            delivery_runs(report, svc, saturation[0], steady, args.rate, work, exactly=False)
    figures = report.figures()
    print_report(figures)
    print(f"corpus: {CITATION}")
    figures["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    write_results(args.out / "bench.json", figures)
    for path in write_plots(report.runs, args.out):
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
