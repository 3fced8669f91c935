"""`make bench-compression`: which codec the stages' producers compress batches with.

Article messages of the ANT corpus, built as the extract stage sends them (the body, its
paragraphs and the page's paragraphs, so the same text three times), are packed into record
batches with kafka-python's own batch builder, as the producer packs them, with each codec
in turn; each batch is then read back as a consumer reads it. Printed side by side in one
run: bytes an article on the wire, the CPU to build and to read a batch an article, against
no compression. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

from evaluation.ant_corpus import read_corpus
from evaluation.corpus_messages import long_articles
from evaluation.results import write_results

CODECS = {
    "none": DefaultRecordBatchBuilder.CODEC_NONE,
    "gzip": DefaultRecordBatchBuilder.CODEC_GZIP,
    "lz4": DefaultRecordBatchBuilder.CODEC_LZ4,
    "zstd": DefaultRecordBatchBuilder.CODEC_ZSTD,
}
BATCH_BYTES = 512 * 1024  # the stages' producer batch_size (adapters/kafka_client.py)


def batches_of(values: Sequence[bytes]) -> list[list[bytes]]:
    """The values grouped as one partition's batches of at most BATCH_BYTES (a larger value
    alone), in order."""
    batches: list[list[bytes]] = [[]]
    size = 0
    for value in values:
        if batches[-1] and size + len(value) > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(value)
        size += len(value)
    return batches


def build(batch: Sequence[bytes], codec: int) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=codec,
        is_transactional=False,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=2**31 - 1,
    )
    for offset, value in enumerate(batch):
        builder.append(offset, timestamp=0, key=None, value=value, headers=[])
    return bytes(builder.build())


def read(packed: bytes) -> int:
    return sum(len(record.value or b"") for record in DefaultRecordBatch(packed))


def _build_all(batches: Sequence[Sequence[bytes]], codec: int) -> list[bytes]:
    return [build(batch, codec) for batch in batches]


def _read_all(packed: Sequence[bytes]) -> int:
    return sum(map(read, packed))


def _cpu_us(work: Callable[[], object], rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        work()
    return (time.process_time() - started) / rounds * 1e6


def measure(values: Sequence[bytes], rounds: int) -> dict[str, dict[str, float]]:
    """Per codec: wire bytes an article, and µs of CPU an article to build and to read."""
    batches = batches_of(values)
    figures: dict[str, dict[str, float]] = {}
    for name, codec in CODECS.items():
        packed = [build(batch, codec) for batch in batches]
        assert sum(map(read, packed)) == sum(map(len, values)), f"{name} lost bytes"
        build_us = _cpu_us(functools.partial(_build_all, batches, codec), rounds)
        read_us = _cpu_us(functools.partial(_read_all, packed), rounds)
        figures[name] = {
            "bytes_per_article": sum(map(len, packed)) / len(values),
            "build_us_per_article": build_us / len(values),
            "read_us_per_article": read_us / len(values),
        }
    return figures


def article_values(data_dir: Path, count: int) -> list[bytes]:
    """Messages of about 600 words, the length of a typical news article."""
    messages: list[dict[str, Any]] = long_articles(read_corpus(data_dir), count, words=600)
    return [orjson.dumps(m) for m in messages]


def print_figures(figures: dict[str, dict[str, float]], articles: int) -> None:
    plain = figures["none"]
    print(f"{articles} article messages, {plain['bytes_per_article']:,.0f} B each uncompressed")
    print(f"{'codec':<6} {'B/article':>10} {'of none':>8} {'build µs':>9} {'read µs':>8}")
    for name, row in figures.items():
        share = row["bytes_per_article"] / plain["bytes_per_article"]
        print(
            f"{name:<6} {row['bytes_per_article']:>10,.0f} {share:>8.2f} "
            f"{row['build_us_per_article']:>9.1f} {row['read_us_per_article']:>8.1f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, help="the shared data folder")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("results") / "bench-compression.json")
    args = parser.parse_args(argv)
    values = article_values(args.data_dir, args.articles)
    figures = measure(values, args.rounds)
    print_figures(figures, len(values))
    write_results(args.out, {"articles": len(values), "codecs": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
