"""A wire dateline is left out of what the story step reads (pure)."""

import pytest

from workers.story.dateline import DATELINE_REACH, without_dateline
from workers.story.features import StoryReader, StoryText


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a city, the agency in brackets, a dash
        ("Frankfurt (DPA-AFX) - In der Pandemie", " In der Pandemie"),
        ("LONDON, March 5 (Reuters) - Britain said", " Britain said"),
        ("دبي، الإمارات العربية المتحدة (CNN) -- قال الوزير", " قال الوزير"),
        ("(CNN)—أعلن الرئيس", " أعلن الرئيس"),
        ("SAN FRANCISCO, California, Jan. 5, 2021 (AP) — The", " The"),
        ("LUTON (dpa-AFX) - La compagnie", " La compagnie"),
        ("first line\nBERLIN (dpa) - Die", "first line\n Die"),
        # after a title the feed put first: the title stays
        ("Title here  NASHVILLE, Tennessee (WKRN) — Police said", "Title here   Police said"),
        # only the first dateline
        ("Paris (AFP) - A. Rome (AFP) - B", " A. Rome (AFP) - B"),
        # no dateline: a bracket without a dash, a colon, a bracket after a word in lower
        # case, a bracket too long for an agency
        ("The company (NASDAQ: XYZ) said on Monday", "The company (NASDAQ: XYZ) said on Monday"),
        ("Notice (updated): the text", "Notice (updated): the text"),
        ("the rate (in percent) - high", "the rate (in percent) - high"),
        # ...or in any alphabet's lower case
        ("акции компании (MOEX) — выросли", "акции компании (MOEX) — выросли"),
        ("Shares of Apple Inc. (AAPL) - the maker", "Shares of Apple Inc. (AAPL) - the maker"),
        (
            "Top scorers: Mohamed Salah (Liverpool) - 22",
            "Top scorers: Mohamed Salah (Liverpool) - 22",
        ),
        (
            "He said Prime Minister Boris Johnson (pictured) - who",
            "He said Prime Minister Boris Johnson (pictured) - who",
        ),
        # more words than a dateline's
        (
            "One Two Three Four Five Six Seven Eight (AP) - x",
            "One Two Three Four Five Six Seven Eight (AP) - x",
        ),
        (
            "Paris (a bracket far too long for an agency) - x",
            "Paris (a bracket far too long for an agency) - x",
        ),
        ("no dateline at all", "no dateline at all"),
        ("", ""),
    ],
)
def test_without_dateline(body: str, expected: str) -> None:
    assert without_dateline(body) == expected


def test_a_dateline_deep_in_the_body_is_text() -> None:
    body = "word " * (DATELINE_REACH // 5) + "Paris (AFP) - more"
    assert without_dateline(body) == body


def test_the_reader_weighs_no_dateline_word() -> None:
    reader = StoryReader()
    text = " ".join(f"word{n}" for n in range(30))
    article = {
        "article_id": "a",
        "seen_at": "2020-01-01T00:00:00.000Z",
        "title": "",
        "body": f"Frankfurt (DPA-AFX) - {text}",
        "tags": {"language": "en"},
    }
    for read in (reader.read, reader.read_in_python):
        story = read(article)
        assert isinstance(story, StoryText)
        assert not {"frankfurt", "dpa", "afx"} & set(story.surface.values())
