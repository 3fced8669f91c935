"""The compiled parts of the story step agree with the Python rule: the reader
(native/src/story_words.rs) reads an article as StoryReader.read_in_python does (the same
stems, vectors, numbers, first forms and add-on mark, on the test articles and on generated
ones, with real and listed weights); the probe (story_probe.rs) gives the cosines with a
story's packed centroids that the Python comparison gives with them unpacked."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from newsflow_native import StoryWords

from tests.story_articles import BUDGET, STORM, TALKS_AR, ListedWeights, article
from workers.story.features import StoryReader, StoryText, TooShort
from workers.story.match import cosines
from workers.story.state import StoryState, grown_by, opened_by
from workers.story.vectors import PackedVector, pack, unpack
from workers.story.weights import WordWeights
from workers.story.words import stem

LISTED = StoryReader(ListedWeights())


@pytest.fixture(scope="module")
def real() -> StoryReader:
    reader = StoryReader(WordWeights())
    reader.warm_up(["en", "ar"])
    return reader


def same_reading(reader: StoryReader, message: dict[str, Any]) -> None:
    compiled, rule = reader.read(message), reader.read_in_python(message)
    if isinstance(rule, TooShort):
        assert compiled == rule
        return
    assert isinstance(compiled, StoryText)
    for vector in ("body", "lead", "title_terms"):
        got, expected = getattr(compiled, vector), getattr(rule, vector)
        assert list(got.items()) == list(expected.items()), vector  # the same, in order
    assert compiled.surface == rule.surface
    assert (compiled.numbers, compiled.add_on, compiled.keys) == (
        rule.numbers,
        rule.add_on,
        rule.keys,
    )


TEST_ARTICLES = [
    *(article(f"s{n}", title, body) for n, (title, body) in enumerate(STORM)),
    article("b", *BUDGET),
    *(article(f"t{n}", title, body, language="ar") for n, (title, body) in enumerate(TALKS_AR)),
    article("add", "إضافة أولى: " + TALKS_AR[0][0], TALKS_AR[0][1], language="ar"),
    article("years", "Budget 2024 and 1899", "In 2024 the 12 councils spent 1,500 " * 5),
    article("short", "Title", "nineteen words are not enough " * 3),
    article("empty", "Title", " — … "),
    article(
        "zh",
        "中国政府表示将继续推进改革",
        "中国政府周一在北京表示，将继续推进经济改革，并扩大对外开放。" * 3,
        language="zh",
    ),
    article(
        "zh-traditional",
        "中國政府表示將繼續推動改革",
        "中國政府週一在台北表示，將繼續推動經濟改革並擴大對外開放。" * 3,
        language="zh",
    ),
    article(
        "ja",
        "日本の首相が東京で会見",
        "日本の首相は月曜日、東京で記者会見を開き、人々に経済対策を説明した。" * 3,
        language="ja",
    ),
]


@pytest.mark.parametrize("message", TEST_ARTICLES, ids=[a["article_id"] for a in TEST_ARTICLES])
def test_the_compiled_reader_reads_as_the_rule_with_real_weights(
    real: StoryReader, message: dict[str, Any]
) -> None:
    same_reading(real, message)


@pytest.mark.parametrize("message", TEST_ARTICLES, ids=[a["article_id"] for a in TEST_ARTICLES])
def test_the_compiled_reader_reads_as_the_rule_with_listed_weights(
    message: dict[str, Any],
) -> None:
    same_reading(LISTED, message)


ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويةءأإآى"
WORD = st.one_of(
    st.text(alphabet=ARABIC, min_size=1, max_size=9),
    st.sampled_from(["وال", "بال", "لل", "ال", "و", "ات", "ون", "هما", "ة"]).flatmap(
        lambda part: st.text(alphabet=ARABIC, min_size=0, max_size=5).map(lambda w: part + w + part)
    ),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéü", min_size=1, max_size=12),
    st.integers(min_value=0, max_value=30_000).map(str),
)


@settings(max_examples=200, deadline=None)
@given(title=st.lists(WORD, max_size=10), body=st.lists(WORD, max_size=80))
def test_the_compiled_reader_reads_generated_articles_as_the_rule(
    title: list[str], body: list[str]
) -> None:
    same_reading(LISTED, article("g", " ".join(title), " ".join(body), language="ar"))


@settings(max_examples=300, deadline=None)
@given(word=WORD)
def test_the_compiled_stem_is_the_rules(word: str) -> None:
    assert StoryWords.stem(word) == stem(word)


def with_centroids(story: StoryState, read: Callable[[bytes], Mapping[int, float]]) -> StoryState:
    """The story with its centroids packed as the index keeps them, then read by `read`."""
    return replace(
        story,
        body=read(pack(story.body)),
        lead=read(pack(story.lead)),
        title_terms=read(pack(story.title_terms)),
    )


def test_the_compiled_cosines_with_packed_centroids_are_the_rules(real: StoryReader) -> None:
    texts = [t for a in TEST_ARTICLES if isinstance(t := real.read(a), StoryText)]
    stories = [opened_by(texts[0]), grown_by(opened_by(texts[1]), texts[2])]
    stories += [opened_by(t) for t in texts[3:]]
    compared = 0
    for text in texts:
        for story in stories:
            # packed, as the index reads a story back; unpacked as the Python comparison reads
            # them (the same half-precision weights)
            compiled = cosines(text, with_centroids(story, PackedVector))
            rule = cosines(text, with_centroids(story, unpack))
            assert compiled == pytest.approx(rule, rel=1e-12, abs=1e-15)
            compared += any(compiled)
    assert compared > len(texts)  # not only zeros: the texts share words with stories


def test_a_packed_vector_reads_as_its_terms() -> None:
    vector = {1: 0.5, 7: -0.25, 2**32 - 1: 1.0}
    lazy = PackedVector(pack(vector))
    assert len(lazy) == 3
    assert dict(lazy) == vector and 7 in lazy and 8 not in lazy
