"""Find many phrases at once in folded text, on word boundaries (pure).

Texts are folded (workers.dedupe.normalize), so words are separated by single spaces.
For scripts that separate words, a phrase is a run of whole words: the matcher looks up
each word in a table of first words, and at the few words that start a phrase tries the
longest run first, so the longest phrase wins ("Papua New Guinea", not "Guinea"; "New
York", not "York"). On Arabic articles against 200,000 place forms this was several times
faster than one Aho-Corasick automaton over the characters, whose trie outgrows the CPU
caches. The word loop runs compiled (the native module's PhraseIndex): in Python the four
matchers were the largest part of tagging an article.

Scripts written without spaces (Chinese, Japanese) are searched inside runs, with an
Aho-Corasick automaton (pyahocorasick) of their phrases only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

import ahocorasick
from newsflow_native import PhraseIndex

from workers.tag.name_forms import UNSPACED_LETTERS, is_cjk


class Hit(NamedTuple):  # a tuple: cheaper to build than a frozen dataclass, dozens an article
    keys: tuple[str, ...]  # what the caller registered the form under
    text: str  # the form found, as folded
    paragraph: int  # index into the texts searched (the tag stage: 0 = title)
    offset: int  # where the form starts in its paragraph's text, in characters


# (paragraph, phrase id, offset in characters, offset in the paragraph's UTF-8 bytes)
Spotted = tuple[int, int, int, int]


class PhraseTable(Protocol):
    """Phrases by id: what a spot's phrase id stands for."""

    @property
    def forms(self) -> Sequence[str]: ...

    @property
    def keys(self) -> Sequence[tuple[str, ...]]: ...


def table_hits(table: PhraseTable, spotted: Iterable[Spotted]) -> list[Hit]:
    """The spots as hits, by what `table` says their phrase ids stand for."""
    forms, keys = table.forms, table.keys
    return [Hit(keys[i], forms[i], paragraph, offset) for paragraph, i, offset, _ in spotted]


class PhraseMatcher:
    def __init__(self, forms: Mapping[str, Iterable[str]]) -> None:
        """`forms`: form -> the keys it stands for (one form may name several)."""
        spaced: dict[str, tuple[str, ...]] = {}
        unspaced: dict[str, tuple[str, ...]] = {}
        for raw_form, raw_keys in forms.items():
            form, keys = " ".join(raw_form.split()), tuple(sorted(set(raw_keys)))
            if form:
                (unspaced if is_cjk(form) else spaced)[form] = keys
        # One id space: the index's phrases, then the unspaced forms.
        self.forms: list[str] = [*spaced, *unspaced]
        self.keys: list[tuple[str, ...]] = [*spaced.values(), *unspaced.values()]
        self._index = PhraseIndex(list(spaced))
        self._unspaced = ahocorasick.Automaton()
        for phrase, form in enumerate(unspaced, start=len(spaced)):
            self._unspaced.add_word(form, (form, phrase))
        if len(self._unspaced):
            self._unspaced.make_automaton()

    def find(self, texts: Sequence[str]) -> list[Hit]:
        """Every phrase found in `texts` (folded), in order; Hit.paragraph indexes `texts`."""
        return self.hits(self.spot(texts))

    def spot(self, texts: Sequence[str]) -> list[Spotted]:
        """`find`, as (paragraph, phrase id, offset in characters, offset in bytes of the
        paragraph's UTF-8): `forms` and `keys` by phrase id."""
        unspaced = self._unspaced_paragraphs(texts) if len(self._unspaced) else []
        return self._with_unspaced(self._index.find(texts), texts, unspaced)

    @staticmethod
    def spot_each(matchers: Sequence[PhraseMatcher], texts: Sequence[str]) -> list[list[Spotted]]:
        """[m.spot(texts) for m in matchers], the texts split into words once for them all
        instead of once a matcher."""
        found = PhraseIndex.find_each([m._index for m in matchers], texts)
        needed = any(len(m._unspaced) for m in matchers)
        unspaced = PhraseMatcher._unspaced_paragraphs(texts) if needed else []
        return [
            m._with_unspaced(spotted, texts, unspaced)
            for m, spotted in zip(matchers, found, strict=True)
        ]

    def hits(self, spotted: Iterable[Spotted]) -> list[Hit]:
        return table_hits(self, spotted)

    @staticmethod
    def _unspaced_paragraphs(texts: Sequence[str]) -> list[int]:
        """The texts that hold letters of a script written without spaces."""
        if not UNSPACED_LETTERS.any(texts):
            return []
        return [paragraph for paragraph, text in enumerate(texts) if is_cjk(text)]

    def _with_unspaced(
        self, spotted: list[Spotted], texts: Sequence[str], unspaced: list[int]
    ) -> list[Spotted]:
        """The index's spots, then those found inside the `unspaced` texts."""
        if len(self._unspaced) > 0:
            for paragraph in unspaced:
                spotted += self._find_unspaced(texts[paragraph], paragraph)
        return spotted

    def _find_unspaced(self, text: str, paragraph: int) -> list[Spotted]:
        spans = sorted(
            (
                (end - len(form) + 1, end, phrase)
                for end, (form, phrase) in self._unspaced.iter(text)
            ),
            key=lambda span: (span[0], span[0] - span[1]),
        )
        spotted: list[Spotted] = []
        taken_until, counted, counted_bytes = -1, 0, 0
        for start, end, phrase in spans:
            if start > taken_until:
                counted_bytes += len(text[counted:start].encode())  # spans come in order
                counted = start
                spotted.append((paragraph, phrase, start, counted_bytes))
                taken_until = end
        return spotted
