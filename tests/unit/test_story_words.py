"""The words a story is compared on (pure): light Arabic stems, other alphabets cut short,
the numbers that can tell one news item from another, the stemmer's memory."""

import pytest

from workers.story import words
from workers.story.words import Stemmer, cut_run, split_words, stem, telling_numbers


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        # the definite article, with the prepositions and conjunctions written onto it
        ("الوزير", "وزير"),
        ("والوزير", "وزير"),
        ("بالمدينه", "مدين"),
        ("كالعاده", "عاد"),
        ("فالقرار", "قرار"),
        ("للحكومه", "حكوم"),
        # suffixes of number, gender and attached pronouns; ة is one with ه
        ("المفاوضات", "مفاوض"),
        ("مفاوضة", "مفاوض"),
        ("مفاوضه", "مفاوض"),
        ("والمفاوضات", "مفاوض"),
        ("كتابهما", "كتاب"),
        ("المسؤولين", "مسؤول"),
        ("اللاعبون", "لاعب"),
        ("بلادها", "بلاد"),
        ("المصري", "مصر"),
        # a stem keeps three letters: neither the article nor a suffix eats into them
        ("الدم", "الدم"),
        ("بنات", "بنات"),
        ("سلام", "سلام"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_arabic_light_stems(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        pytest.param("وزير", "وزير", id="minister-keeps-its-waw"),
        pytest.param("والوزير", "وزير", id="and-the-minister"),
        pytest.param("واعلنت", "اعلنت", id="and-announced-loses-it"),
        pytest.param("ومسؤولين", "مسؤول", id="and-officials"),
        # four letters: a length rule cannot tell "and said" from "minister"; both keep it
        pytest.param("وقال", "وقال", id="and-said-four-letters-keeps-it"),
        pytest.param("وطن", "وطن", id="three-letters"),
    ],
)
def test_the_conjunction_comes_off_long_words_only(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        pytest.param("negotiations", "negoti", id="english"),
        pytest.param("negotiators", "negoti", id="english-other-form"),
        pytest.param("talks", "talks", id="short-word-whole"),
        pytest.param("président", "présid", id="french-letters-not-bytes"),
        pytest.param("переговоры", "перего", id="cyrillic"),
        pytest.param("340", "340", id="number"),
        pytest.param("x1ال", "x1ال", id="starts-latin-stays-latin-rule"),
    ],
)
def test_other_alphabets_are_cut_to_six_letters(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("والوزير الوزير وزير", {"وزير"}, id="clitic-forms-meet"),
        pytest.param("المفاوضات مفاوضة", {"مفاوض"}, id="plural-and-singular-meet"),
        pytest.param("أعلنت اعلنت إعلانها", {"اعلنت", "اعلان"}, id="alef-forms-folded"),
        pytest.param("Minister MINISTERS minister's", {"minist"}, id="case-and-plural"),
    ],
)
def test_inflections_of_folded_text_meet_in_one_stem(text: str, expected: set[str]) -> None:
    assert {stem(w) for w in split_words(text)} == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("killed 34 people and 120 injured", {"34", "120"}, id="tolls"),
        pytest.param("in 2024 and 1987 and 2099 and 1900", set(), id="years"),
        pytest.param("1899 2100 20245", {"1899", "2100", "20245"}, id="not-years"),
        pytest.param("٣٤ قتيلا", {"34"}, id="arabic-indic-digits-folded"),
        pytest.param("5 goals", set(), id="one-digit-is-no-word"),
        pytest.param("the 3rd round", set(), id="not-a-number"),
    ],
)
def test_telling_numbers(text: str, expected: set[str]) -> None:
    assert telling_numbers(split_words(text)) == expected


def test_the_stemmer_answers_as_stem_and_stems_each_word_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    def counted(word: str) -> str:
        calls.append(word)
        return stem(word)

    monkeypatch.setattr(words, "stem", counted)
    stemmer = Stemmer(capacity=10)
    sample = ["والمفاوضات", "negotiations", "والمفاوضات", "الوزير", "negotiations"]
    assert [stemmer(w) for w in sample] == [stem(w) for w in sample]
    assert calls == ["والمفاوضات", "negotiations", "الوزير"]


def test_a_full_stemmer_forgets_and_stems_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counted(word: str) -> str:
        calls.append(word)
        return stem(word)

    monkeypatch.setattr(words, "stem", counted)
    stemmer = Stemmer(capacity=2)
    for w in ["الوزير", "المفاوضات", "negotiations", "الوزير", "negotiations"]:
        assert stemmer(w) == stem(w)
    # the third word found it full: it forgot the first two, so the first comes again
    assert calls == ["الوزير", "المفاوضات", "negotiations", "الوزير"]


WORDS = frozenset({"中国", "政府", "中国政府", "表示", "改革", "东京"})


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        pytest.param("中国政府表示", "中国政府 表示", id="longest-word-first"),
        pytest.param("推进改革", "推 进 改革", id="unknown-letters-alone"),
        pytest.param("东", "东", id="one-letter"),
        pytest.param("", "", id="empty"),
    ],
)
def test_an_unspaced_run_is_cut_at_the_longest_listed_words(run: str, expected: str) -> None:
    assert cut_run(run, WORDS) == expected


def test_chinese_text_reads_as_words_of_its_language() -> None:
    """With wordfreq's Chinese list: a sentence is words, not one word (a letter alone is
    too short to be one)."""
    words = split_words("中国政府周一表示，将继续推进改革。", "zh")
    assert {"中国政府", "表示", "推进", "改革"} <= set(words)
    assert all(len(w) >= 2 for w in words)


def test_japanese_text_reads_with_japanese_words() -> None:
    assert {"日本", "首相", "東京"} <= set(split_words("日本の首相が東京で会見した", "ja"))
    assert {"人々", "佐々木"} <= set(split_words("人々が佐々木さんと会った", "ja"))


def test_traditional_chinese_reads_as_simplified() -> None:
    assert split_words("中國政府週一表示", "zh") == split_words("中国政府周一表示", "zh")


def test_latin_words_beside_chinese_stay_whole() -> None:
    assert split_words("Apple 公司发布 iPhone", "zh")[0] == "apple"
    assert "iphone" in split_words("Apple 公司发布 iPhone", "zh")
