"""`make bench-web`: the newsroom view's cost under load. `newsflow web` runs as a process of
its own with a window of 10,000 stories; 50 readers hold the live stream open while the
processed topic gets 50 articles a second (a share of them joining recent stories). Printed:
the view's CPU as a share of a core, and beside it, in the same run, the CPU of
`newsflow watch --json` following the same topic (what any reader of the stream pays to
decode it); the time from a record's acknowledgement to its card reaching the readers.

The records are the contract's example with a body of typical length (3 KB) and titles of
their own: the cost measured is the view's, not the text's."""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.kafka_client import KafkaSink, ensure_topics
from evaluation.bench_services import services
from evaluation.process_usage import cpu_seconds, resident_mb
from schemas.contracts import example
from schemas.records import OutRecord
from schemas.topics import Topics
from services.process import free_port

# The readers' filters, in turns: as many distinct ones as a newsroom's screens might keep,
# some showing the new stories, some only the rewrites that join them, one nothing at all.
FILTERS = ("", "language=en", "outlet=Example+News", "relation=rewrite", "language=ar")
PARAGRAPH = (
    "The port authority said on Sunday that crossings would resume on the winter timetable, "
    "with two extra sailings a day until the backlog of freight and passengers is cleared."
)


def record(article_id: str, story_id: str, title: str) -> dict[str, Any]:
    message = copy.deepcopy(example("processed.v1"))
    message["article_id"] = article_id
    message["title"] = title
    message["paragraphs"] = [PARAGRAPH] * 18
    message["body"] = "\n\n".join(message["paragraphs"])
    message["processed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    message["story"] = {**message["story"], "story_id": story_id}
    if story_id != article_id:
        message["story"]["role"] = "rewrite"
        message["outlet"] = f"Outlet {random.randrange(20)}"
    return message


@dataclass
class Reader:
    """One browser's live stream with its filter: when each story first reached it."""

    port: int
    query: str  # its filter, as the page's address gives it
    first_seen: dict[str, float] = field(default_factory=dict)
    events: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def sees_new_stories(self) -> bool:
        """Whether its filter shows the stories the load opens (English, Example News)."""
        return self.query in ("", "language=en", "outlet=Example+News")

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", f"/events?{self.query}")
        response = connection.getresponse()
        while not self.stop.is_set():
            line = response.readline()
            if not line:
                break
            if line.startswith(b"data: "):
                now = time.monotonic()
                self.events += 1
                for item in json.loads(line[6:])["stories"]:
                    self.first_seen.setdefault(item["id"], now)
        connection.close()


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _view_holds(port: int, stories: int) -> bool:
    """Whether the view has read every story written before the load (its page says)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
            return f">{stories} stories in view<" in answer.read().decode()
    except OSError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000, help="in the window at the start")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=50.0, help="articles a second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--joining", type=float, default=0.3, help="share joining a story")
    parser.add_argument("--kafka")
    parser.add_argument("--redis")
    args = parser.parse_args(argv)
    random.seed(7)
    with services(args.kafka, args.redis) as svc:
        prefix = f"benchweb{int(time.time()) % 10**6}."
        topics = Topics(prefix)
        ensure_topics(svc.kafka, topics.all(), partitions=3)
        sink = KafkaSink.connect(svc.kafka)
        for n in range(args.stories):
            sink.send(
                OutRecord(
                    topics.processed,
                    f"{n:032x}",
                    _encoded(record(f"{n:032x}", f"{n:032x}", f"Earlier story number {n}")),
                )
            )
        sink.flush()
        port = free_port()
        env = {
            **os.environ,
            "NEWSFLOW_KAFKA_BOOTSTRAP": svc.kafka,
            "NEWSFLOW_REDIS_URL": svc.redis,
            "NEWSFLOW_TOPIC_PREFIX": prefix,
            "NEWSFLOW_WEB_PORT": str(port),
            "NEWSFLOW_LOG_LEVEL": "WARNING",
        }
        view = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "web"], env=env, stdout=subprocess.DEVNULL
        )
        watch = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "watch", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 300
            while not _view_holds(port, args.stories) and time.monotonic() < deadline:
                time.sleep(1)
            if not _view_holds(port, args.stories):
                raise SystemExit(f"the view did not read the {args.stories} stories in 300 s")
            readers = [Reader(port, FILTERS[n % len(FILTERS)]) for n in range(args.readers)]
            threads = [threading.Thread(target=r.run, daemon=True) for r in readers]
            for t in threads:
                t.start()
            time.sleep(3)  # every reader connected
            print(f"{args.readers} readers connected; load for {args.seconds:g} s", flush=True)
            figures = _load(args, sink, topics, view.pid, watch.pid, readers)
            figures["view_resident_mb"] = resident_mb(view.pid)
            for r in readers:
                r.stop.set()
        finally:
            for proc in (view, watch):
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
            sink.close()
    _print(args, figures)
    return 0


def _encoded(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


def _load(
    args: argparse.Namespace,
    sink: KafkaSink,
    topics: Topics,
    view_pid: int,
    watch_pid: int,
    readers: Sequence[Reader],
) -> dict[str, Any]:
    view0, watch0 = cpu_seconds(view_pid), cpu_seconds(watch_pid)
    started = time.monotonic()
    acked: dict[str, float] = {}
    recent: list[str] = []
    n = 0
    while time.monotonic() - started < args.seconds:
        due = started + n / args.rate
        if (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        article_id = f"{10**9 + n:032x}"
        joins = recent and random.random() < args.joining
        story_id = random.choice(recent) if joins else article_id
        title = f"Live story number {n}"
        sink.send(
            OutRecord(topics.processed, article_id, _encoded(record(article_id, story_id, title)))
        )
        sink.flush()
        if not joins:
            acked[article_id] = time.monotonic()
            recent = [*recent[-50:], article_id]
        n += 1
    elapsed = time.monotonic() - started
    view_cpu = cpu_seconds(view_pid) - view0  # over the load only
    watch_cpu = cpu_seconds(watch_pid) - watch0
    time.sleep(5)  # the last cards reach the readers
    shown = [r for r in readers if r.sees_new_stories]
    delays = [r.first_seen[a] - at for r in shown for a, at in acked.items() if a in r.first_seen]
    missed = sum(1 for r in shown for a in acked if a not in r.first_seen)
    return {
        "articles": n,
        "new_stories": len(acked),
        "readers_shown_them": len(shown),
        "seconds": round(elapsed, 1),
        "view_core_share": view_cpu / elapsed,
        "watch_core_share": watch_cpu / elapsed,
        "delay_p50_s": _quantile(delays, 0.5),
        "delay_p99_s": _quantile(delays, 0.99),
        "cards_missed": missed,
        "events": sum(r.events for r in readers),
    }


def _print(args: argparse.Namespace, f: dict[str, Any]) -> None:
    print(
        f"newsroom view: {args.stories:,} stories in the window, {args.readers} live readers "
        f"({len(FILTERS)} filters in turns), {f['articles'] / f['seconds']:.1f} articles/s "
        f"for {f['seconds']} s, {f['new_stories']:,} of them new stories"
    )
    print(f"  view CPU: {100 * f['view_core_share']:.1f} % of a core (goal < 5 %)")
    print(
        f"  reference, newsflow watch --json on the same topic: "
        f"{100 * f['watch_core_share']:.1f} % of a core "
        f"(ratio {f['view_core_share'] / max(f['watch_core_share'], 1e-9):.2f})"
    )
    print(
        f"  record acknowledged -> card at a reader ({f['readers_shown_them']} readers whose "
        f"filter shows new stories): p50 {1000 * f['delay_p50_s']:.0f} ms, "
        f"p99 {1000 * f['delay_p99_s']:.0f} ms (goal 2 s); cards they never got: "
        f"{f['cards_missed']}"
    )
    print(f"  events sent: {f['events']:,}; view resident memory {f['view_resident_mb']} MB")


if __name__ == "__main__":
    raise SystemExit(main())
