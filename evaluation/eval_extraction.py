"""`make eval-extraction DATA=<dir>`: the project's extraction on the scrapinghub benchmark
(181 pages with human-written bodies), side by side with plain `trafilatura.extract` on the
same pages in the same run, scored with the benchmark's own metric."""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import trafilatura

from evaluation.extraction_score import BenchmarkScore, benchmark_score
from evaluation.results import write_results
from ingest.extract import extract_page
from ingest.xpath_guards import install_guards, unguarded

BENCHMARK = Path("extraction") / "scrapinghub-2019"
PUBLISHED = "published: trafilatura 2.0.0 F1 0.958 (P 0.938, R 0.978)"


def ours(html: bytes, url: str) -> str:
    page = extract_page(html, url)
    return "\n".join(page.paragraphs)


def ours_unguarded(html: bytes, url: str) -> str:
    """extract_page with trafilatura's own XPath expressions: the guards' cost and output."""
    with unguarded():
        return ours(html, url)


def plain_trafilatura(html: bytes, url: str) -> str:
    """trafilatura as it ships: its own XPath expressions, without extract_page's guards."""
    with unguarded():
        return trafilatura.extract(html, url=url) or ""


Extractor = Callable[[bytes, str], str]
EXTRACTORS: tuple[tuple[str, Extractor], ...] = (
    ("newsflow extract_page", ours),
    ("extract_page unguarded", ours_unguarded),
    ("trafilatura.extract", plain_trafilatura),
)


def run(pages: dict[str, tuple[bytes, str]], extract: Extractor) -> tuple[dict[str, str], float]:
    """Predictions and the CPU seconds they took."""
    started = time.process_time()
    out = {page_id: extract(html, url) for page_id, (html, url) in pages.items()}
    return out, time.process_time() - started


def load(folder: Path) -> tuple[dict[str, tuple[bytes, str]], dict[str, str]]:
    """Pages (HTML, URL) and reference bodies by page id."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for page_id, entry in truth.items():
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages[page_id] = (html, entry["url"])
    return pages, {page_id: entry["articleBody"] for page_id, entry in truth.items()}


def figures(score: BenchmarkScore, seconds: float) -> dict[str, float]:
    return {
        "f1": round(score.f1, 4),
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "accuracy": round(score.accuracy, 4),
        "empty": score.empty_predictions,
        "cpu_ms_per_page": round(seconds / score.pages * 1000, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path("results/eval-extraction.json"))
    args = parser.parse_args(argv)
    install_guards()  # extract_page as the extract stage runs it
    pages, truths = load(args.data / BENCHMARK)
    table: dict[str, Any] = {}
    outputs = {}
    for name, extract in EXTRACTORS:
        outputs[name], seconds = run(pages, extract)
        table[name] = figures(benchmark_score(outputs[name], truths), seconds)
    # The XPath guards change no body (ingest/xpath_guards.py): counted, page by page.
    guarded, plain = outputs["newsflow extract_page"], outputs["extract_page unguarded"]
    same = sum(guarded[page_id] == plain[page_id] for page_id in pages)
    table["same_body_without_xpath_guards"] = same
    print(f"{len(pages)} pages; {PUBLISHED}")
    print(f"{'':<24}{'F1':>7}{'P':>7}{'R':>7}{'acc':>7}{'empty':>7}{'ms/page':>9}")
    for name, _ in EXTRACTORS:
        f = table[name]
        cells = (f["f1"], f["precision"], f["recall"], f["accuracy"])
        row = "".join(f"{c:>7.3f}" for c in cells)
        print(f"{name:<24}{row}{f['empty']:>7}{f['cpu_ms_per_page']:>9.1f}")
    print(f"extract_page gives the same body without the XPath guards on {same} of {len(pages)}")
    write_results(args.out, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
