"""`make eval-extraction DATA=<dir>`: the project's extraction on every page set under
`<dir>/extraction/` (each page with the text people selected as its article), side by side
with plain `trafilatura.extract` on the same pages in the same run: per set and pooled,
precision, recall and F1 over 4-token shingles (the scrapinghub benchmark's metric,
evaluation/extraction_score.py), pages with an empty body, CPU per page; then the pages
where the project's body loses most to plain trafilatura's."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import trafilatura

from evaluation.extraction_score import BenchmarkScore, benchmark_score, page_score
from evaluation.extraction_sets import ExtractionSet, read_sets
from evaluation.results import write_results
from ingest.extract import Extraction, choose_body, extract_page
from ingest.xpath_guards import install_guards, unguarded

PUBLISHED = "scrapinghub-2019, published: trafilatura 2.0.0 F1 0.958 (P 0.938, R 0.978)"
OURS, FAST_ONLY = "newsflow extract_page", "extract_page, fast only"
UNGUARDED = "extract_page unguarded"
PLAIN, NO_COMMENTS = "trafilatura.extract", "trafilatura, no comments"
POOLED = "pooled"
# Goals of the project's extraction against plain trafilatura, on each set.
F1_MARGIN = 0.01
SPEED_RATIO = 0.9


def ours(html: bytes, url: str) -> str:
    """The article's body as the extract stage makes it from the page alone (no feed text
    here): the page's text, else its description metadata. Its title is apart: when the
    page's heading is the body's first line, extract_page takes it out."""
    return _body(extract_page(html, url))


def ours_fast_only(html: bytes, url: str) -> str:
    """extract_page without the second extraction of short bodies: what that rule brings,
    on the sets it was not set on too."""
    return _body(extract_page(html, url, second_opinion=False))


def _body(page: Extraction) -> str:
    chosen = choose_body(page, None, None)
    return "\n".join(chosen.paragraphs) if chosen else ""


def ours_unguarded(html: bytes, url: str) -> str:
    """extract_page with trafilatura's own XPath expressions: the guards' cost and output."""
    with unguarded():
        return ours(html, url)


def plain_trafilatura(html: bytes, url: str) -> str:
    """trafilatura as it ships: its own XPath expressions, without extract_page's guards."""
    with unguarded():
        return trafilatura.extract(html, url=url) or ""


def trafilatura_without_comments(html: bytes, url: str) -> str:
    """trafilatura as it ships but for the readers' comments, which it keeps by default and
    the project leaves out: where the gains over the plain reference come from."""
    with unguarded():
        return trafilatura.extract(html, url=url, include_comments=False) or ""


Extractor = Callable[[bytes, str], str]
EXTRACTORS: tuple[tuple[str, Extractor], ...] = (
    (OURS, ours),
    (FAST_ONLY, ours_fast_only),
    (UNGUARDED, ours_unguarded),
    (PLAIN, plain_trafilatura),
    (NO_COMMENTS, trafilatura_without_comments),
)


def run(
    pages: dict[str, tuple[bytes, str]],
) -> tuple[dict[str, dict[str, str]], dict[str, float]]:
    """Each extractor's bodies and the CPU seconds they took. The extractors take turns on
    each page, so that none pays alone for a noisy moment of the machine, and each page's
    first turn goes to the next extractor in a round: the first to read a page fills
    trafilatura's caches of text functions (functools.lru_cache) for the ones after it."""
    bodies: dict[str, dict[str, str]] = {name: {} for name, _ in EXTRACTORS}
    seconds = dict.fromkeys(bodies, 0.0)
    for n, (page_id, (html, url)) in enumerate(pages.items()):
        first = n % len(EXTRACTORS)
        for name, extract in EXTRACTORS[first:] + EXTRACTORS[:first]:
            started = time.process_time()
            bodies[name][page_id] = extract(html, url)
            seconds[name] += time.process_time() - started
    return bodies, seconds


def figures(score: BenchmarkScore, seconds: float) -> dict[str, float]:
    return {
        "f1": round(score.f1, 4),
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "accuracy": round(score.accuracy, 4),
        "empty": score.empty_predictions,
        "pages": score.pages,
        "cpu_ms_per_page": round(seconds / score.pages * 1000, 2),
    }


def page_f1(prediction: str, truth: str) -> float:
    score = page_score(prediction, truth)
    p, r = score.precision, score.recall
    return 2 * p * r / (p + r) if p + r else 0.0


def losses(
    sets: Sequence[ExtractionSet], outputs: dict[str, dict[str, dict[str, str]]], worst: int
) -> list[dict[str, Any]]:
    """The pages where the project's body scores furthest below plain trafilatura's."""
    rows: list[tuple[float, dict[str, Any]]] = []
    for one in sets:
        mine, plain = outputs[one.name][OURS], outputs[one.name][PLAIN]
        for page_id, truth in one.truths.items():
            ours_f1, plain_f1 = page_f1(mine[page_id], truth), page_f1(plain[page_id], truth)
            if ours_f1 < plain_f1:
                rows.append(
                    (
                        ours_f1 - plain_f1,
                        {
                            "set": one.name,
                            "page": page_id,
                            "f1": round(ours_f1, 3),
                            "plain_f1": round(plain_f1, 3),
                            "chars": len(mine[page_id]),
                            "plain_chars": len(plain[page_id]),
                            "truth_chars": len(truth),
                        },
                    )
                )
    rows.sort(key=lambda r: r[0])
    return [row for _, row in rows[:worst]]


def goal_lines(table: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines = []
    for name, row in table.items():
        if name == POOLED:
            continue
        mine, plain = row[OURS], row[PLAIN]
        checks = {
            f"F1 >= plain + {F1_MARGIN}": mine["f1"] >= plain["f1"] + F1_MARGIN,
            "precision >= plain": mine["precision"] >= plain["precision"],
            "empty <= plain": mine["empty"] <= plain["empty"],
            f"speed >= {SPEED_RATIO}x plain": (
                plain["cpu_ms_per_page"] >= SPEED_RATIO * mine["cpu_ms_per_page"]
            ),
        }
        for goal, met in checks.items():
            lines.append(f"goal {name}: {goal} — {'met' if met else 'NOT met'}")
    return lines


def print_table(table: dict[str, dict[str, dict[str, float]]]) -> None:
    print(f"{'set':<26}{'extractor':<26}{'F1':>7}{'P':>7}{'R':>7}{'empty':>7}{'ms/page':>9}")
    for name, row in table.items():
        for extractor, _ in EXTRACTORS:
            f = row[extractor]
            cells = "".join(f"{f[k]:>7.3f}" for k in ("f1", "precision", "recall"))
            label = f"{name} ({f['pages']:.0f})" if extractor == OURS else ""
            print(f"{label:<26}{extractor:<26}{cells}{f['empty']:>7}{f['cpu_ms_per_page']:>9.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", type=Path, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=Path("results/eval-extraction.json"))
    parser.add_argument("--sets", nargs="*", default=[], help="only these sets (folder names)")
    parser.add_argument("--worst", type=int, default=20, help="losing pages to list")
    args = parser.parse_args(argv)
    install_guards()  # extract_page as the extract stage runs it
    sets = read_sets(args.data, frozenset(args.sets))
    table: dict[str, dict[str, dict[str, float]]] = {}
    outputs: dict[str, dict[str, dict[str, str]]] = {}
    seconds: dict[str, float] = dict.fromkeys((name for name, _ in EXTRACTORS), 0.0)
    for one in sets:
        outputs[one.name], took = run(one.pages)
        table[one.name] = {
            name: figures(benchmark_score(outputs[one.name][name], one.truths), took[name])
            for name, _ in EXTRACTORS
        }
        for name in seconds:
            seconds[name] += took[name]
    pooled_truths = {f"{s.name}/{k}": v for s in sets for k, v in s.truths.items()}
    table[POOLED] = {
        name: figures(
            benchmark_score(
                {f"{s.name}/{k}": v for s in sets for k, v in outputs[s.name][name].items()},
                pooled_truths,
            ),
            seconds[name],
        )
        for name, _ in EXTRACTORS
    }
    # The XPath guards change no body (ingest/xpath_guards.py): counted, page by page.
    same = sum(
        outputs[s.name][OURS][k] == outputs[s.name][UNGUARDED][k] for s in sets for k in s.pages
    )
    print(PUBLISHED)
    for one in sets:
        if one.comments_cut:
            print(f"{one.name}: readers' comments cut from {one.comments_cut} gold texts")
        if one.html_golds:
            print(f"{one.name}: {one.html_golds} gold texts given as HTML, read as text")
    print_table(table)
    print(f"extract_page, same body without the XPath guards: {same} of {len(pooled_truths)}")
    worst = losses(sets, outputs, args.worst)
    if worst:
        print("pages where extract_page loses most to plain trafilatura (F1, then characters):")
        for r in worst:
            print(
                f"  {r['set']}/{r['page']}: {r['f1']:.3f} vs {r['plain_f1']:.3f}; "
                f"{r['chars']} vs {r['plain_chars']} chars, gold {r['truth_chars']}"
            )
    goals = goal_lines(table)
    for line in goals:
        print(line)
    figures_out = {"sets": table, "goals": goals, "same_body_without_xpath_guards": same}
    write_results(args.out, {**figures_out, "worst": worst})
    return 0


if __name__ == "__main__":
    sys.exit(main())
