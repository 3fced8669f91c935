"""`make bench-broker`: what the broker's CPU pays per record for the ways a stage can talk to
it, on its own broker, side by side in one run: a flush after every record against a flush
after many (with our producer's batch size and with kafka-python's default), and an offset
commit after every record against one after many. These figures chose the worker loop's
commit_interval_s and the producer's batch_size. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kafka import KafkaProducer

from adapters.kafka_client import KafkaSink, KafkaSource, ensure_topics
from evaluation.process_usage import cpu_seconds
from evaluation.results import write_results
from schemas.records import InRecord, OutRecord
from services.kafka_broker import BrokerConfig, start_broker
from services.process import free_port

TOPIC = "bench.broker"


def _broker_cpu_us_per_record(
    cpu: Callable[[], float], records: int, work: Callable[[], None]
) -> float:
    started = cpu()
    work()
    return (cpu() - started) / records * 1e6


def _produce(sink: KafkaSink, value: bytes, records: int, flush_every: int) -> Callable[[], None]:
    def work() -> None:
        for n in range(records):
            sink.send(OutRecord(TOPIC, str(n), value))
            if (n + 1) % flush_every == 0:
                sink.flush()
        sink.flush()

    return work


def _consume(source: KafkaSource, records: int, commit_every: int) -> Callable[[], None]:
    def work() -> None:
        seen: list[InRecord] = []
        while len(seen) < records:
            for record in source.poll(1.0):
                seen.append(record)
                if len(seen) % commit_every == 0:
                    source.commit(seen[-commit_every:])
        source.commit(seen[-(len(seen) % commit_every or commit_every) :])

    return work


def _ratio(a: float, b: float) -> float | None:
    """None when the second run cost less CPU than the clock can tell (a tiny run)."""
    return round(a / b, 2) if b > 0 else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--bytes", type=int, default=10_000, help="record size (an article)")
    parser.add_argument("--many", type=int, default=100, help="records per flush or commit")
    parser.add_argument("--out", type=Path, default=Path("results") / "bench-broker.json")
    args = parser.parse_args(argv)
    value, n, many = b"x" * args.bytes, args.records, args.many
    with tempfile.TemporaryDirectory() as tmp:
        cfg = BrokerConfig(free_port(), free_port(), Path(tmp))
        broker = start_broker(cfg)
        try:
            cpu = functools.partial(cpu_seconds, broker.proc.pid)
            bootstrap = cfg.bootstrap
            ensure_topics(bootstrap, [TOPIC], 3)
            ours = KafkaSink.connect(bootstrap)
            default = KafkaSink(KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5))
            _produce(ours, value, n // 4, many)()  # warm the broker's JIT
            time.sleep(1)
            produce_runs = {
                "produce, flush after every record": _produce(ours, value, n, 1),
                f"produce, flush after {many}, kafka-python's batch size": _produce(
                    default, value, n, many
                ),
                f"produce, flush after {many}, our batch size": _produce(ours, value, n, many),
            }
            runs = {
                name: _broker_cpu_us_per_record(cpu, n, work) for name, work in produce_runs.items()
            }
            ours.close()
            default.close()
            for label, every in (("every record", 1), (str(many), many)):
                source = KafkaSource.connect(bootstrap, f"bench-{every}", [TOPIC])
                runs[f"consume, commit after {label}"] = _broker_cpu_us_per_record(
                    cpu, n, _consume(source, n, every)
                )
                source.close()
        finally:
            broker.stop()
    print(f"broker CPU per record of {args.bytes} bytes ({n} records a run, acks=all):")
    for name, micros in runs.items():
        print(f"  {name:<52}{micros:>8.0f} µs")
    names = list(runs)
    ratios = {
        "produce: flush after every record / after many (our batch size)": _ratio(
            runs[names[0]], runs[names[2]]
        ),
        "consume: commit after every record / after many": _ratio(runs[names[3]], runs[names[4]]),
    }
    for name, ratio in ratios.items():
        print(f"  {name}: " + (f"{ratio:.1f}x" if ratio else "too little CPU to tell"))
    write_results(
        args.out,
        {
            "record_bytes": args.bytes,
            "records": n,
            "broker_cpu_us_per_record": runs,
            "ratios": ratios,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
