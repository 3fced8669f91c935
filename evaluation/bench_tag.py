"""`make bench-tag DATA=<dir>`: articles per second per core through the tag stage's real
path (decode and validate the deduped message, tag, validate and encode the processed one),
on articles of about 600 words made from the ANT corpus, side by side in the same run with
fastText's own language detection alone (fasttext-predict on the same samples: what the tag
stage did before it tagged places, names, topics and keywords). Prints figures and where the
time goes; asserts nothing."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import fasttext
import orjson

from adapters.metrics import bind_prometheus
from evaluation.ant_corpus import CITATION, read_corpus
from evaluation.corpus_messages import long_articles
from evaluation.results import write_results
from evaluation.step_cpu import per_article_us, step_cpu
from schemas.records import InRecord
from schemas.topics import Topics
from workers.codec import decode, encode
from workers.dedupe.normalize import normalize_paragraphs
from workers.tag import handler, tagger
from workers.tag.gazetteer import gazetteer
from workers.tag.handler import TagStage
from workers.tag.keywords import KeywordWindow
from workers.tag.language import LanguageDetector, model_path
from workers.tag.phrase_matcher import PhraseMatcher
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import LANGUAGE_SAMPLE_CHARS, RuleMatchers, Tagger

# The stage's steps, where it calls them, for --profile.
STEPS = (
    (sys.modules[__name__], "decode"),
    (TagStage, "handle"),
    (Tagger, "tag"),
    (LanguageDetector, "detect"),
    (tagger, "script_of"),
    (tagger, "normalize_paragraphs"),
    (Tagger, "_find"),
    (PhraseMatcher, "spot_each"),
    (PhraseMatcher, "find"),
    (Tagger, "_place_tags"),
    (tagger, "entity_tags"),
    (RuleMatchers, "topic_tags"),
    (KeywordWindow, "keywords_in"),
    (handler, "encode"),
)

EXAMPLE = Path(__file__).resolve().parents[1] / "schemas" / "examples" / "deduped.v1.json"
RULES = Path(__file__).resolve().parents[1] / "config" / "tag-rules.toml"
GOAL = "goal: >= 2,000 articles/s per core for 600-word articles"


def deduped_messages(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles of about N words (the same as bench-dedupe's), as the tag stage receives them."""
    template = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    keep = ("article_id", "title", "paragraphs", "body")
    return [
        template | {k: a[k] for k in keep} | {"language_hint": None, "page_language": None}
        for a in articles
    ]


def _records(messages: list[dict[str, Any]]) -> list[InRecord]:
    return [
        InRecord(
            topic="bench",
            partition=0,
            offset=i,
            key=m["article_id"].encode(),
            # as the dedupe stage writes it (workers/codec.py): UTF-8, not ASCII escapes
            value=orjson.dumps(m),
        )
        for i, m in enumerate(messages)
    ]


def _per_core(work: Callable[[], object], count: int) -> dict[str, float]:
    started = time.process_time()
    work()
    cpu = time.process_time() - started
    return {
        "articles_per_s_per_core": round(count / cpu, 1),
        "cpu_us_per_article": round(cpu / count * 1e6, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--articles", type=int, default=2_000)
    parser.add_argument("--words", type=int, default=600)
    parser.add_argument("--profile", action="store_true", help="also show where the time goes")
    parser.add_argument("--out", type=Path, default=Path("results") / "bench-tag.json")
    args = parser.parse_args(argv)
    bind_prometheus()  # the stage times its articles as it does in production

    messages = deduped_messages(long_articles(read_corpus(args.data), args.articles, args.words))
    records, n = _records(messages), len(messages)
    words = sum(len(m["body"].split()) for m in messages) / n
    detector = LanguageDetector()
    the_tagger = Tagger(detector, RulesFile(RULES))
    stage = TagStage(the_tagger, Topics(""))
    the_tagger.tag(messages[0])  # build lazily cached tables outside the timing
    plain_tagger = Tagger(
        detector, RulesFile(RULES), places=gazetteer(context_forms=False), context_rules=False
    )
    plain_stage = TagStage(plain_tagger, Topics(""))
    plain_tagger.tag(messages[0])

    def whole_stage() -> None:
        for record in records:
            stage.handle(decode(record, "deduped.v1"), record)

    def stage_without_context_rules() -> None:
        for record in records:
            plain_stage.handle(decode(record, "deduped.v1"), record)

    samples = [f"{m['title']}\n{m['body']}"[:LANGUAGE_SAMPLE_CHARS] for m in messages]
    fasttext_model = fasttext.load_model(str(model_path()))

    def fasttext_only() -> None:
        for sample in samples:
            fasttext_model.predict(" ".join(sample.split()), k=1)

    def language_only() -> None:
        for sample in samples:
            detector.detect(sample)

    def codec_only() -> None:
        tags = the_tagger.tag(messages[0])
        for record in records:
            message = decode(record, "deduped.v1")
            encode(
                "processed",
                message["article_id"],
                message | {"tags": tags, "processed_at": message["extracted_at"]},
                "processed.v1",
            )

    def normalization_only() -> None:
        for m in messages:
            normalize_paragraphs([m["title"], *m["paragraphs"]], casefold=False)

    runs = {
        "tag stage (decode, tag, encode)": _per_core(whole_stage, n),
        "reference: fastText language detection only": _per_core(fasttext_only, n),
        "reference: tag stage without context rules": _per_core(stage_without_context_rules, n),
        "part: language detection (native lid.176)": _per_core(language_only, n),
        "part: decode + encode (JSON, schema checks)": _per_core(codec_only, n),
        "part: normalization of the text": _per_core(normalization_only, n),
    }
    profile: dict[str, float] = {}
    if args.profile:
        with step_cpu(STEPS) as spent:
            whole_stage()
        profile = per_article_us(spent, n)
    print(f"{n} articles of {words:.0f} words on average (consecutive ANT corpus paragraphs)")
    print(f"{'run':44} {'articles/s/core':>16} {'CPU us/article':>15}")
    for name, figures in runs.items():
        print(
            f"{name:44} {figures['articles_per_s_per_core']:16,.0f} "
            f"{figures['cpu_us_per_article']:15,.0f}"
        )
    ratio = (
        runs["tag stage (decode, tag, encode)"]["articles_per_s_per_core"]
        / runs["reference: fastText language detection only"]["articles_per_s_per_core"]
    )
    print(f"tag stage / fastText language detection only: {ratio:.2f}x")
    with_rules = (
        runs["tag stage (decode, tag, encode)"]["articles_per_s_per_core"]
        / runs["reference: tag stage without context rules"]["articles_per_s_per_core"]
    )
    print(f"tag stage / the same without context rules: {with_rules:.2f}x")
    if profile:
        print(
            "where the stage's time goes (CPU µs per article, inclusive; decode + handle is all):"
        )
        for name, micros in profile.items():
            print(f"  {name:<22}{micros:>8.0f}")
    print(GOAL)
    print(f"corpus: {CITATION}")
    write_results(
        args.out,
        {
            "articles": n,
            "mean_words": round(words),
            "runs": runs,
            "ratio_to_fasttext_language_only": round(ratio, 3),
            "ratio_to_no_context_rules": round(with_rules, 3),
            "profile_us_per_article": profile,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
