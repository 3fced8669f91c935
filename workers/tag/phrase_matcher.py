"""Find many phrases at once in folded text, on word boundaries (pure).

Texts are folded (workers.dedupe.normalize.fold), so words are separated by single spaces.
For scripts that separate words, a phrase is a run of whole words: the matcher looks up
each word in a set of first words (one C-level set lookup per word), and at the few words
that start a phrase tries the longest run first, so the longest phrase wins ("Papua New
Guinea", not "Guinea"; "New York", not "York"). Measured on 530-word Arabic articles
against 200,000 place forms: about 5x faster than one Aho-Corasick automaton over the
characters, whose trie outgrows the CPU caches.

Scripts written without spaces (Chinese, Japanese) are searched inside runs, with an
Aho-Corasick automaton (pyahocorasick) of their phrases only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ahocorasick

from workers.tag.name_forms import is_cjk

_CJK_LETTERS = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Hit:
    keys: tuple[str, ...]  # what the caller registered the form under
    text: str  # the form found, as folded
    paragraph: int  # index into the texts searched (the tag stage: 0 = title)


class PhraseMatcher:
    def __init__(self, forms: Mapping[str, Iterable[str]]) -> None:
        """`forms`: form -> the keys it stands for (one form may name several)."""
        self._phrases: dict[str, tuple[str, ...]] = {}
        self._longest_from: dict[str, int] = {}  # first word -> most words of its phrases
        self._unspaced = ahocorasick.Automaton()
        for raw_form, raw_keys in forms.items():
            form, keys = " ".join(raw_form.split()), tuple(sorted(set(raw_keys)))
            if not form:
                continue
            if is_cjk(form):
                self._unspaced.add_word(form, (form, keys))
                continue
            self._phrases[form] = keys
            words = form.split(" ")
            self._longest_from[words[0]] = max(self._longest_from.get(words[0], 0), len(words))
        if len(self._unspaced):
            self._unspaced.make_automaton()
        self.size = len(self._phrases) + len(self._unspaced)

    def find(self, texts: Sequence[str], words: Sequence[list[str]] | None = None) -> list[Hit]:
        """`words`: each text split on spaces, when the caller has them already. Pass the same
        lists to every matcher: a string caches its hash, so the second matcher's lookups
        cost a third of the first's."""
        words = words if words is not None else [text.split(" ") for text in texts]
        has_cjk = len(self._unspaced) > 0
        hits: list[Hit] = []
        for paragraph, text in enumerate(texts):
            hits += self._find_words(words[paragraph], paragraph)
            if has_cjk and _CJK_LETTERS.search(text):
                hits += self._find_unspaced(text, paragraph)
        return hits

    def _find_words(self, words: list[str], paragraph: int) -> list[Hit]:
        longest_from, phrases = self._longest_from, self._phrases
        starts = [i for i, word in enumerate(words) if word in longest_from]
        hits, taken_until = [], 0
        for start in starts:
            if start < taken_until:
                continue
            for end in range(min(len(words), start + longest_from[words[start]]), start, -1):
                phrase = " ".join(words[start:end])
                if (keys := phrases.get(phrase)) is not None:
                    hits.append(Hit(keys, phrase, paragraph))
                    taken_until = end
                    break
        return hits

    def _find_unspaced(self, text: str, paragraph: int) -> list[Hit]:
        spans = sorted(
            ((end - len(form) + 1, end, form, keys)
             for end, (form, keys) in self._unspaced.iter(text)),
            key=lambda span: (span[0], span[0] - span[1]),
        )  # fmt: skip
        hits, taken_until = [], -1
        for start, end, form, keys in spans:
            if start > taken_until:
                hits.append(Hit(keys, form, paragraph))
                taken_until = end
        return hits
