"""Find many phrases at once in folded text, on word boundaries (pure).

An Aho-Corasick automaton (pyahocorasick, C) finds every registered form in one pass,
whatever the number of names. Texts are folded (workers.dedupe.normalize.fold) so that
tokens are separated by single spaces; a form is registered as " form " so that it only
matches whole words, except in scripts written without spaces (Chinese, Japanese), where
it matches inside a run. When forms overlap, the longest wins ("Papua New Guinea", not
"Guinea"; "New York", not "York").

Forms are kept in one automaton per script: a gazetteer of 200,000 forms makes a trie
too big for the CPU caches (measured: 306 us per 530-word article in one automaton), and
an Arabic article has no use for the 120,000 Cyrillic forms.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ahocorasick

from workers.tag.name_forms import is_cjk

# Between paragraphs: no form contains it, so no match spans two paragraphs.
_PARAGRAPH_BREAK = " \x1e "

# Script groups of forms, each with the letters that say a text may contain one.
_SCRIPT_LETTERS = {
    "arab": re.compile("[\u0600-\u06ff\u0750-\u077f]"),
    "cyrl": re.compile("[\u0400-\u052f]"),
    "latn": re.compile("[A-Za-z\u00c0-\u024f]"),
    "cjk": re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"),
}


def _script_group(form: str) -> str:
    for group, letters in _SCRIPT_LETTERS.items():
        if letters.search(form):
            return group
    return "other"


@dataclass(frozen=True)
class Hit:
    keys: tuple[str, ...]  # what the caller registered the form under
    text: str  # the form found, as folded
    paragraph: int  # index into the texts searched (the tag stage: 0 = title)


class PhraseMatcher:
    def __init__(self, forms: Mapping[str, Iterable[str]]) -> None:
        """`forms`: form -> the keys it stands for (one form may name several)."""
        self._automata: dict[str, ahocorasick.Automaton] = {}
        for form, keys in forms.items():
            form = " ".join(form.split())
            if not form:
                continue
            spaced = not is_cjk(form)
            pattern = f" {form} " if spaced else form
            automaton = self._automata.setdefault(_script_group(form), ahocorasick.Automaton())
            automaton.add_word(pattern, (form, tuple(sorted(set(keys))), spaced))
        for automaton in self._automata.values():
            automaton.make_automaton()
        self.size = sum(len(automaton) for automaton in self._automata.values())

    def find(self, texts: Sequence[str]) -> list[Hit]:
        if not self.size:
            return []
        joined = " " + _PARAGRAPH_BREAK.join(texts) + " "
        starts, offset = [], 1
        for text in texts:
            starts.append(offset)
            offset += len(text) + len(_PARAGRAPH_BREAK)
        spans = []
        for group, automaton in self._automata.items():
            letters = _SCRIPT_LETTERS.get(group)
            if letters is not None and not letters.search(joined):
                continue
            for pattern_end, (form, keys, spaced) in automaton.iter(joined):
                last = pattern_end - 1 if spaced else pattern_end  # trailing space left out
                spans.append((last - len(form) + 1, last, form, keys))
        spans.sort(key=lambda span: (span[0], span[0] - span[1]))
        hits, taken_until = [], -1
        for start, end, form, keys in spans:
            if start > taken_until:
                hits.append(Hit(keys, form, bisect.bisect_right(starts, start) - 1))
                taken_until = end
        return hits
