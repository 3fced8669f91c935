"""The scrapinghub article-extraction benchmark's metric (pure): 4-token shingles of `\\w+`
tokens as multisets, per-page precision and recall, averaged as the benchmark averages them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

TOKEN = re.compile(r"\w+")  # Python's \w: what the published scores used


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


@dataclass(frozen=True)
class PageScore:
    tp: int
    fp: int
    fn: int
    exact: bool

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp, perfect=self.fp == self.fn == 0)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn, perfect=self.fp == self.fn == 0)


def _ratio(part: int, whole: int, *, perfect: bool) -> float:
    """The benchmark's edge cases: nothing wrong is 1.0 (even two empty texts)."""
    if perfect:
        return 1.0
    return part / whole if whole else 0.0


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def page_score(prediction: str, truth: str) -> PageScore:
    p, t = shingles(prediction), shingles(truth)
    tp = sum((p & t).values())
    return PageScore(
        tp=tp,
        fp=sum((p - t).values()),
        fn=sum((t - p).values()),
        exact=TOKEN.findall(prediction) == TOKEN.findall(truth),
    )


@dataclass(frozen=True)
class BenchmarkScore:
    precision: float
    recall: float
    accuracy: float
    empty_predictions: int
    pages: int

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def benchmark_score(predictions: Mapping[str, str], truths: Mapping[str, str]) -> BenchmarkScore:
    """Precision over pages whose prediction has a token; recall over pages whose truth has one."""
    scores = {k: page_score(predictions.get(k, ""), truths[k]) for k in truths}
    with_prediction = [s for s in scores.values() if s.tp + s.fp > 0]
    with_truth = [s for s in scores.values() if s.tp + s.fn > 0]
    return BenchmarkScore(
        precision=_mean([s.precision for s in with_prediction]),
        recall=_mean([s.recall for s in with_truth]),
        accuracy=sum(s.exact for s in scores.values()) / len(scores),
        empty_predictions=sum(not TOKEN.search(predictions.get(k, "")) for k in truths),
        pages=len(truths),
    )
