"""`make bench-stories DATA=<dir>`: articles per second per core through the story step's
real path (StoryReader, the match, the Redis index's Lua scripts on a real Redis), fed ANT
articles in publication order in batches as a poll hands them over, side by side in the same
run with the dedupe stage's real path on the same articles; and the story index's Redis
bytes per article, split by key kind. Prints figures; asserts nothing.

The story step is given each article as the tag stage hands it over: the corpus article's
fields (evaluation/story_stream.py) with the verdict the dedupe stage gave it, and the
index's clock at the batch's publication time, so that its time slots turn as they would
had the articles come in as they were published.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import redis

from adapters import story_index
from adapters.dedupe_index import RedisDedupeIndex
from adapters.metrics import bind_prometheus
from adapters.redis_client import DirectScript, connect_redis
from adapters.sentence_encoder import UniversalSentenceEncoder
from adapters.story_index import RedisStoryIndex
from evaluation.ant_corpus import CITATION, CorpusArticle, read_corpus
from evaluation.corpus_messages import article_message, as_decoded
from evaluation.dedupe_contenders import Run, Step, measure_in_turns, newsflow_step, print_runs
from evaluation.process_usage import resident_mb
from evaluation.results import write_results
from evaluation.step_cpu import per_article_us, step_cpu
from evaluation.story_stream import batches, message_of
from schemas.records import InRecord
from schemas.timestamps import parse_iso
from schemas.topics import Topics
from services.process import free_port
from services.redis_server import RedisConfig, start_redis
from workers.dedupe.handler import DedupeStage
from workers.process_gc import freeze_start_up_and_tune_gc
from workers.story import features, match, step
from workers.story.features import StoryReader
from workers.story.index import Lookup, Seen
from workers.story.match import MERGE_SCORE
from workers.story.meaning import Encoder, gist
from workers.story.step import StoryStep
from workers.story.weights import WordWeights

STORY_WINDOW_S = 72 * 3600  # the story_window_s setting's default
STORY_BUCKET_BITS = 10  # story_bucket_bits's
DEDUPE_WINDOW_S = 7 * 24 * 3600  # dedupe_window_s's
DEDUPE_BUCKET_BITS = 14  # dedupe_bucket_bits's
PREFIX = "bench:"
LANGUAGE = "ar"  # the ANT corpus is Arabic
PER_CORE_GOAL = 2_000  # articles/s per core, the story step
BYTES_GOAL = 1_536  # Redis bytes per article in the story window
KINDS = {
    "s": "stories",
    "a": "articles",
    "p": "postings",
    "pb": "slot bits",
    "pc": "slot sizes",
    "n": "counter",
}
FIELD_SAMPLE = 500  # keys of a kind whose fields' sizes are read

# The story step's parts, where they are called from, for --profile.
STEPS = (
    (StoryStep, "assign_batch"),
    (StoryReader, "read"),
    (features, "folded"),
    (WordWeights, "compiled"),
    (step, "lookup_of"),
    (RedisStoryIndex, "read_many"),
    (story_index, "unpack_state"),
    (step, "decide"),
    (match, "signals_of"),
    (match, "cosines"),
    (match, "matched_members"),
    (match, "evidence"),
    (match, "grown_by"),
    (match, "opened_by"),
    (RedisStoryIndex, "commit_many"),
    (story_index, "pack_header"),
    (DirectScript, "many"),
)


@dataclass
class StoryRoles:
    """What the story step made of the articles: its roles, and the biggest story."""

    roles: Counter[str] = field(default_factory=Counter)
    largest: int = 0
    merges: list[tuple[str, str]] = field(default_factory=list)  # (kept, absorbed) story ids

    def count(self, stories: Sequence[dict[str, Any]]) -> None:
        for story in stories:
            self.roles[story["role"]] += 1
            self.largest = max(self.largest, story["size"])
            self.merges += [(story["story_id"], m) for m in story.get("merged", [])]


def in_publication_order(
    corpus: Sequence[CorpusArticle], since: str, count: int
) -> list[CorpusArticle]:
    """The first `count` articles published from `since` (an ISO date, UTC) on, in
    publication order (ties by corpus id); an undated article counts as message_of dates it."""
    dated = [(message_of(a, LANGUAGE)["published"], a.docno, a) for a in corpus]
    return [a for when, _, a in sorted(dated, key=lambda d: (d[0], d[1])) if when >= since][:count]


def dedupe_message(n: int, article: CorpusArticle, seen_at: str) -> dict[str, Any]:
    """The corpus article as the extract stage sends it to the dedupe stage."""
    return article_message(n, article.paragraphs) | {
        "article_id": article.article_id,
        "url": article.url,
        "outlet": article.source,
        "title": article.title,
        "seen_at": seen_at,
        "extracted_at": seen_at,
    }


def bench_items(articles: Sequence[CorpusArticle]) -> list[dict[str, Any]]:
    """Each article as both stages get it, and its publication time (the story index's clock
    when its batch is handled)."""
    items = []
    for n, article in enumerate(articles):
        story = message_of(article, LANGUAGE)
        items.append(
            {
                "story": story,
                "dedupe": dedupe_message(n, article, story["seen_at"]),
                "at": parse_iso(story["seen_at"]).timestamp(),
            }
        )
    return items


def with_dedupe_verdicts(
    client: redis.Redis, items: list[dict[str, Any]], batch: int
) -> Counter[str]:
    """Gives each story message the dedupe object the dedupe stage gave its article (the step
    reads a copy's original from it), by a pass of the stage on `client`'s Redis, untimed;
    the verdicts' relations counted."""
    topics = Topics()
    stage = DedupeStage(
        RedisDedupeIndex(client, f"{PREFIX}verdicts:", bucket_bits=DEDUPE_BUCKET_BITS),
        topics,
        window_s=DEDUPE_WINDOW_S,
    )
    stage.warm_up()
    relations: Counter[str] = Counter()
    for chunk in batches(list(enumerate(items)), batch):
        inputs = [
            (as_decoded(item["dedupe"]), InRecord(topics.articles, 0, n, None, b""))
            for n, item in chunk
        ]
        for (_, item), outcome in zip(chunk, stage.handle_batch(inputs), strict=True):
            if isinstance(outcome, Exception):
                raise outcome
            [deduped] = [r for r in outcome if r.topic == topics.deduped]
            verdict = orjson.loads(deduped.value)["dedupe"]
            item["story"]["dedupe"] = verdict
            relations[verdict["relation"]] += 1
    client.flushall()
    return relations


def story_index_of(client: redis.Redis, clock: list[float], bucket_bits: int) -> RedisStoryIndex:
    return RedisStoryIndex(
        client,
        PREFIX,
        window_s=STORY_WINDOW_S,
        bucket_bits=bucket_bits,
        clock=lambda: clock[0],
    )


def story_step(
    index: RedisStoryIndex,
    clock: list[float],
    roles: StoryRoles,
    merge_score: float,
    encoder: Encoder | None = None,
) -> Step:
    """The story step whole, as the tag stage calls it on a poll's batch; the word table is
    built (and the encoder loaded) before the clock starts, as the stage's warm-up does."""
    the_step = StoryStep(index, StoryReader(), STORY_WINDOW_S, merge_score, encoder)
    the_step.warm_up([LANGUAGE])

    def run(chunk: Sequence[tuple[int, Any]]) -> None:
        clock[0] = max(item["at"] for _, item in chunk)
        roles.count(the_step.assign_batch([item["story"] for _, item in chunk]))

    return run


def loaded_encoder(items: Sequence[dict[str, Any]]) -> tuple[UniversalSentenceEncoder, float]:
    """The sentence encoder, loaded and run on a batch of the articles' gists, and the
    resident memory (MB) the process grew by doing so: what it adds to a tag worker."""
    before = resident_mb(os.getpid())
    encoder = UniversalSentenceEncoder()
    encoder.encode([gist(i["story"]["title"], i["story"]["body"]) for i in items[:100]])
    return encoder, resident_mb(os.getpid()) - before


def dedupe_step(client: redis.Redis) -> Step:
    """The dedupe stage whole (bench-dedupe's contender) on the same articles."""
    stage = newsflow_step(client, DEDUPE_WINDOW_S, DEDUPE_BUCKET_BITS)

    def run(chunk: Sequence[tuple[int, Any]]) -> None:
        stage([(n, item["dedupe"]) for n, item in chunk])

    return run


def memory_by_kind(client: redis.Redis, base: str, articles: int) -> dict[str, dict[str, float]]:
    """MEMORY USAGE of every key of the story index, summed by kind (the part of the key after
    the index's base: s, a, p, pb, pc, n), with the fields each kind holds on average (HLEN) and the
    bytes of each field, name and value, over a sample of its keys."""
    keys: dict[str, list[bytes]] = {}
    for key in client.scan_iter(match=f"{base}*", count=1000):
        keys.setdefault(key.decode()[len(base) :].split(":")[0], []).append(key)
    out: dict[str, dict[str, float]] = {}
    for kind, names in sorted(keys.items()):
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.memory_usage(name, samples=0)
        used = sum(int(n or 0) for n in pipe.execute())
        figures: dict[str, float] = {
            "keys": len(names),
            "bytes": used,
            "bytes_per_article": round(used / articles, 1),
        }
        if kind in ("s", "p"):  # hashes; a: is a string, n a counter
            figures |= _hash_fields(client, names)
        out[kind] = figures
    return out


def _hash_fields(client: redis.Redis, names: Sequence[bytes]) -> dict[str, float]:
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hlen(name)
    lengths = pipe.execute()
    sample = names[:: max(1, len(names) // FIELD_SAMPLE)]
    sizes: Counter[str] = Counter()
    for name in sample:
        for f, value in client.hgetall(name).items():
            field_name = f.decode() if isinstance(f, bytes) else f
            # A posting's field is the key it is posted under (w<hash>, n<number>).
            sizes[field_name if len(field_name) <= 2 else "posting"] += len(f) + len(value)
    return {"fields_per_key": round(sum(lengths) / len(names), 2)} | {
        f"field_{f}_bytes": round(total / len(sample), 1) for f, total in sizes.items()
    }


def profile_story(
    client: redis.Redis, items: Sequence[dict[str, Any]], batch: int, bucket_bits: int
) -> tuple[dict[str, float], dict[str, float]]:
    """CPU µs per article of each part of the story step (inclusive), by step_cpu's timers,
    on a flushed Redis: the same articles in the same batches once more; and the index's
    reads an article (more than one when a write was refused: index.py) and the stories
    they read (each unpacked and scored)."""
    client.flushall()
    clock = [0.0]
    index = story_index_of(client, clock, bucket_bits)
    run = story_step(index, clock, StoryRoles(), MERGE_SCORE)
    numbered = [(n, as_decoded(item)) for n, item in enumerate(items)]
    reads = candidates = 0
    with step_cpu(STEPS) as spent:
        read = index.read_many

        def counted(lookups: Sequence[Lookup]) -> list[Seen]:
            nonlocal reads, candidates
            seen = read(lookups)
            reads += len(lookups)
            candidates += sum(len(s.candidates) for s in seen)
            return seen

        setattr(index, "read_many", counted)  # noqa: B010  # the instance's, not the class's
        for chunk in batches(numbered, batch):
            run(chunk)
    n = len(items)
    return per_article_us(spent, n), {
        "reads_per_article": round(reads / n, 2),
        "stories_read_per_article": round(candidates / n, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--articles", type=int, default=6_000)
    parser.add_argument(
        "--since",
        default="2018-03-01",
        help="the first day (UTC) of the articles taken; the corpus's dense months begin there",
    )
    parser.add_argument("--batch", type=int, default=100, help="articles per poll")
    parser.add_argument("--bucket-bits", type=int, default=STORY_BUCKET_BITS)
    parser.add_argument(
        "--merge-score",
        type=float,
        default=MERGE_SCORE,
        help="two stories an article links are merged when they score this as wholes",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="slices of the articles, each measured for both stages in turn",
    )
    parser.add_argument("--profile", action="store_true", help="also show where the time goes")
    parser.add_argument(
        "--cross-language",
        action="store_true",
        help="the story step with story_cross_language on (its sentence encoder)",
    )
    parser.add_argument("--out", type=Path, default=Path("results") / "bench-stories.json")
    args = parser.parse_args(argv)
    bind_prometheus()  # the dedupe stage counts its verdicts as it does in production

    articles = in_publication_order(list(read_corpus(args.data)), args.since, args.articles)
    if not articles:
        parser.error(f"no article published from {args.since} on")
    items = bench_items(articles)
    words = sum(a.word_count for a in articles) / len(articles)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        clients = []
        for n in range(2):
            cfg = RedisConfig(port=free_port(), data_dir=Path(tmp) / str(n), persistent=False)
            servers.callback(start_redis(cfg).stop)
            clients.append(connect_redis(cfg.url))
        story_client, dedupe_client = clients
        relations = with_dedupe_verdicts(dedupe_client, items, args.batch)
        clock, roles = [0.0], StoryRoles()
        index = story_index_of(story_client, clock, args.bucket_bits)
        encoder, encoder_mb = loaded_encoder(items) if args.cross_language else (None, 0.0)
        contenders = [
            (
                "story step",
                story_step(
                    index,
                    clock,
                    roles,
                    args.merge_score,
                    encoder,
                ),
                args.batch,
                story_client,
            ),
            ("dedupe stage", dedupe_step(dedupe_client), args.batch, dedupe_client),
        ]
        # The articles are the bench's input, held all run long; a stage holds only the
        # batch it is on (bench-dedupe says why they are frozen with start-up).
        freeze_start_up_and_tune_gc()
        for client in clients:
            client.flushall()
        before = int(story_client.info("memory")["used_memory"])
        runs = measure_in_turns(items, contenders, rounds=args.rounds, flush=False)
        grown = int(story_client.info("memory")["used_memory"]) - before
        kinds = memory_by_kind(story_client, index.base, len(items))
        profile, reads = (
            profile_story(story_client, items, args.batch, args.bucket_bits)
            if args.profile
            else ({}, {})
        )
    titles = {item["story"]["article_id"]: item["story"]["title"] for item in items}
    result = figures_of(runs, grown, kinds, roles, relations, len(items)) | {
        "merge_score": args.merge_score,
        "story_merges": [
            {"kept": kept, "absorbed": gone, "titles": [titles[kept], titles[gone]]}
            for kept, gone in roles.merges
        ],
        "articles": len(items),
        "words": round(words, 1),
        "since": args.since,
        "first_published": items[0]["story"]["published"],
        "last_published": items[-1]["story"]["published"],
        "batch": args.batch,
        "bucket_bits": args.bucket_bits,
        "cross_language": args.cross_language,
        "encoder_resident_mb": round(encoder_mb, 1),
        "profile_us_per_article": profile,
        "profile_reads": reads,
    }
    print_figures(result, runs)
    write_results(args.out, result)
    return 0


def figures_of(
    runs: Sequence[Run],
    grown: int,
    kinds: dict[str, dict[str, float]],
    roles: StoryRoles,
    relations: Counter[str],
    articles: int,
) -> dict[str, Any]:
    story, dedupe = runs
    return {
        "runs": {r.name: r.figures() for r in runs},
        "ratio_story_vs_dedupe_per_core": round(story.per_core / dedupe.per_core, 3),
        "story_per_core_goal": PER_CORE_GOAL,
        "story_redis_bytes_per_article": round(grown / articles, 1),
        "story_redis_bytes_goal": BYTES_GOAL,
        "story_redis_bytes_by_kind": kinds,
        "story_roles": dict(roles.roles),
        "largest_story": roles.largest,
        "dedupe_relations": dict(relations),
    }


def print_figures(result: dict[str, Any], runs: Sequence[Run]) -> None:
    print(
        f"{result['articles']} ANT articles published {result['first_published'][:16]} to "
        f"{result['last_published'][:16]}, in that order, {result['words']:.0f} words on "
        f"average, batches of {result['batch']}; data: {CITATION}"
    )
    if result["cross_language"]:
        print(
            "story step with story_cross_language on: every article's meaning encoded; the "
            f"encoder took {result['encoder_resident_mb']:.0f} MB of resident memory, loaded "
            "and run on a batch"
        )
    print_runs(runs, name_width=14, cell_width=12)
    ratio, with_redis = result["ratio_story_vs_dedupe_per_core"], runs[0].per_core_with_redis
    print(
        f"ratio (per core, story step / dedupe stage): {ratio:.2f}x; story step counting its"
        f" Redis's CPU too: {with_redis:.0f} art/s"
    )
    print(f"goal: >= {PER_CORE_GOAL:,} articles/s per core for the story step")
    roles = result["story_roles"]
    print(
        f"stories: {roles.get('first', 0)} opened; joined as copy {roles.get('copy', 0)}, "
        f"rewrite {roles.get('rewrite', 0)}, part {roles.get('part', 0)}; "
        f"{len(result['story_merges'])} merged into another (at {result['merge_score']}); "
        f"largest {result['largest_story']} articles "
        f"(dedupe relations: {result['dedupe_relations']})"
    )
    print(
        f"story index in Redis: {result['story_redis_bytes_per_article']:.0f} B per article "
        f"(used_memory grown over the run; goal <= {BYTES_GOAL:,} B), "
        f"{result['bucket_bits']} bucket bits"
    )
    print("  by key kind (MEMORY USAGE of every key; fields: HLEN, field bytes: a sample):")
    counted = 0.0
    for kind, f in result["story_redis_bytes_by_kind"].items():
        counted += f["bytes_per_article"]
        sizes = ", ".join(
            f"{name.removeprefix('field_').removesuffix('_bytes')} {value:.0f}"
            for name, value in f.items()
            if name.startswith("field_")
        )
        fields = f" {f['fields_per_key']:.1f} fields/key" if "fields_per_key" in f else ""
        print(
            f"    {kind}: {KINDS.get(kind, kind):<9}{f['keys']:>8.0f} keys"
            f"{f['bytes_per_article']:>8.0f} B/article{fields}"
            + (f"; field bytes/key: {sizes}" if sizes else "")
        )
    other = result["story_redis_bytes_per_article"] - counted
    print(f"    the rest (keyspace and expiry tables, allocator): {other:.0f} B/article")
    if result["profile_us_per_article"]:
        reads = result["profile_reads"]
        print(
            f"where the story step's time goes (CPU µs per article, inclusive; index reads per"
            f" article: {reads['reads_per_article']:.2f}, stories read and scored per article:"
            f" {reads['stories_read_per_article']:.1f}):"
        )
        for name, micros in result["profile_us_per_article"].items():
            print(f"  {name:<18}{micros:>8.1f}")


if __name__ == "__main__":
    sys.exit(main())
