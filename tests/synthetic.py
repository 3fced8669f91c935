"""Synthetic news text for tests: invented words, seeded, never taken from any corpus."""

from __future__ import annotations

import random

WORDS = [
    "council",
    "harbour",
    "ferry",
    "storm",
    "budget",
    "school",
    "market",
    "bridge",
    "river",
    "island",
    "minister",
    "vote",
    "law",
    "water",
    "farmers",
    "union",
    "weather",
    "road",
    "police",
    "museum",
    "library",
    "festival",
    "station",
    "hospital",
    "port",
    "tram",
    "airport",
    "election",
    "court",
    "factory",
    "mayor",
    "teachers",
    "nurses",
    "strike",
    "garden",
    "tunnel",
    "الميناء",
    "المدينة",
    "الحكومة",
    "الوزير",
    "المياه",
    "الطريق",
    "المدرسة",
    "السوق",
    "الجسر",
    "البحر",
    "الشتاء",
    "المطر",
]


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))
