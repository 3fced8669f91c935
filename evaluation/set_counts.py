"""Precision and recall over sets of labels, counted item by item (pure): the tag
evaluations' tally."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, truth: Set[str], found: Set[str]) -> None:
        self.tp += len(truth & found)
        self.fp += len(found - truth)
        self.fn += len(truth - found)

    def figures(self) -> dict[str, float | int]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }
