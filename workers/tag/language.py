"""Language of an article: py3langid on the text, the feed's hint when the text is too short.

py3langid ships its model inside the wheel, so nothing is downloaded at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import py3langid.langid as langid

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


@dataclass
class LanguageDetector:
    """Loads the model once (about half a second) and classifies texts."""

    model: langid.LanguageIdentifier = field(
        default_factory=lambda: langid.LanguageIdentifier.from_modelpath(
            langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True
        )
    )

    def detect(self, text: str) -> tuple[str, float] | None:
        if len(text.strip()) < MIN_TEXT_CHARS:
            return None
        language, probability = self.model.classify(text)
        return str(language), float(probability)
