"""The given names the English person-name rule reads (workers/tag/given_names.py)."""

from __future__ import annotations

import pytest

from workers.tag.given_names import given_names


@pytest.mark.parametrize("name", ["Tyler", "George", "Zoe", "Leon"])
def test_common_english_given_names_are_in(name: str) -> None:
    assert name in given_names("en")


@pytest.mark.parametrize("word", ["April", "Bill", "Don", "Christian", "Summer", "Mark"])
def test_months_and_words_a_sentence_starts_with_are_out(word: str) -> None:
    assert word not in given_names("en")


def test_other_languages_have_none_yet() -> None:
    assert given_names("ar") == frozenset()
    assert given_names(None) == frozenset()
