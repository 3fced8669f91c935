"""Which story an article joins (pure): the score in each of its signals, the signals of an
article against a story, and decide() over hand-made word vectors (StoryText built directly,
so that every cosine is known), with a few short texts read as the step reads them."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime

import pytest

from tests.story_articles import ListedWeights, article
from workers.story import match
from workers.story.features import StoryReader, StoryText, published_at
from workers.story.match import MATCHED, MERGE_SCORE, Decision, decide, signals_of, story_signals
from workers.story.score import LINK_SCORE, Signals, score
from workers.story.state import StoryState, absorbed, grown_by, opened_by
from workers.story.step import waves
from workers.story.vectors import Vector, normalized, term
from workers.story.words import split_words

HOUR = 3600.0
T = 1_714_986_000.0  # 2024-05-06 09:00 UTC
WINDOW = 24 * HOUR
STORM = ("storm", "harbour", "valmora", "ferries", "ostrel", "breakwater")
BUDGET = ("council", "brenholt", "budget", "teachers", "schools", "lunches")


def vector(words: Mapping[str, float] | Iterable[str]) -> Vector:
    weights = words if isinstance(words, Mapping) else dict.fromkeys(words, 1.0)
    return normalized({term(w): x for w, x in weights.items()})


def text(
    article_id: str,
    words: Mapping[str, float] | Iterable[str],
    *,
    outlet: str = "",
    at: float = T,
    numbers: Iterable[str] = (),
    places: Iterable[str] = (),
    copy_of: str = "",
    add_on: bool = False,
) -> StoryText:
    """An article whose whole text, lead and title all have the words given."""
    weighted = words if isinstance(words, Mapping) else dict.fromkeys(words, 1.0)
    v = vector(weighted)
    return StoryText(
        article_id=article_id,
        outlet=outlet or f"outlet-{article_id}",
        title=" ".join(weighted),
        at=at,
        body=v,
        lead=v,
        title_terms=v,
        numbers=frozenset(numbers),
        places=frozenset(places),
        surface={term(w): w for w in weighted},
        copy_of=copy_of,
        add_on=add_on,
    )


def story(*members: StoryText, seq: int = 1) -> StoryState:
    """The story of these members, numbered as the index numbers it."""
    state = opened_by(members[0])
    for member in members[1:]:
        state = grown_by(state, member)
    return replace(state, seq=seq)


def stream(texts: Sequence[StoryText]) -> tuple[list[Decision], dict[int, StoryState]]:
    """Articles through decide() one after the other, each story kept as the index keeps it
    after each article (numbered from 1 in the order opened)."""
    stories: dict[int, StoryState] = {}
    decisions = []
    for t in texts:
        decision = decide(t, list(stories.values()), window_s=WINDOW)
        seq = decision.joined.seq if decision.joined else len(stories) + 1
        stories[seq] = replace(decision.state, seq=seq)
        decisions.append(decision)
    return decisions, stories


BASE = Signals(body=0.3, lead=0.3, title=0.3, numbers=1, hours=1.0)


@pytest.mark.parametrize(
    ("signal", "values"),
    [
        ("body", [0.0, 0.1, 0.4, 0.7, 1.0]),
        ("lead", [0.0, 0.1, 0.4, 0.7, 1.0]),
        ("title", [0.0, 0.1, 0.4, 0.7, 1.0]),
        ("numbers", [0, 1, 2, 3]),
    ],
)
def test_score_grows_with_each_signal(signal: str, values: list[float]) -> None:
    scores = [score(Signals(**(asdict(BASE) | {signal: v}))) for v in values]
    assert all(0.0 < s < 1.0 for s in scores)
    assert all(a < b for a, b in itertools.pairwise(scores)), scores


def test_score_falls_with_the_hours_from_the_story() -> None:
    scores = [score(replace(BASE, hours=h)) for h in (0.0, 0.5, 3.0, 12.0, 48.0)]
    assert all(a > b for a, b in itertools.pairwise(scores)), scores


def test_shared_numbers_beyond_three_say_no_more() -> None:
    assert score(replace(BASE, numbers=3)) == score(replace(BASE, numbers=9))


@pytest.mark.parametrize(
    ("at", "hours"),
    [
        pytest.param(T, 0.0, id="at-first-seen"),
        pytest.param(T + 2 * HOUR, 0.0, id="inside-the-span"),
        pytest.param(T + 5 * HOUR, 0.0, id="at-last-growth"),
        pytest.param(T - 2 * HOUR, 2.0, id="before-the-story"),
        pytest.param(T + 8 * HOUR, 3.0, id="after-last-growth"),
    ],
)
def test_hours_are_counted_from_the_stories_span(at: float, hours: float) -> None:
    spanning = story(text("a", STORM, at=T), text("b", STORM, at=T + 5 * HOUR))
    assert signals_of(text("c", STORM, at=at), spanning).hours == pytest.approx(hours)


def test_signals_of_an_article_against_a_story() -> None:
    members = [
        text("a", STORM, numbers={"34", "12"}),
        text("b", STORM, numbers={"34"}),
        text("c", STORM, numbers={"34", "7"}),
    ]
    signals = signals_of(text("d", STORM, numbers={"34", "12", "99"}), story(*members))
    # the same words as every member: the centroid points their way
    assert (signals.body, signals.lead, signals.title) == pytest.approx((1.0, 1.0, 1.0))
    assert signals.numbers == 1  # 34 is named by most members; 12 by one of three
    assert signals.hours == 0.0


def at_cosine(cosine: float) -> Vector:
    """A unit vector at this cosine with the centroid of a story of STORM's words."""
    shared = cosine * math.sqrt(len(STORM))
    return vector({"storm": shared, "unrelated": math.sqrt(1.0 - shared * shared)})


@pytest.mark.parametrize(
    ("body", "lead", "languages", "language", "numbers"),
    [
        pytest.param(0.11, 0.11, ("en",), "en", 0, id="few-shared-words-in-one-language"),
        pytest.param(0.13, 0.05, ("en",), "en", 2, id="the-body-shares-enough"),
        pytest.param(0.05, 0.13, ("en",), "en", 2, id="the-lead-shares-enough"),
        pytest.param(0.11, 0.11, ("de",), "en", 2, id="across-languages"),
        pytest.param(0.11, 0.11, ("en", "de"), "en", 2, id="a-story-in-two-languages"),
        pytest.param(0.11, 0.11, ("",), "", 2, id="languages-unknown"),
    ],
)
def test_numbers_count_within_a_language_only_with_shared_words(
    body: float, lead: float, languages: tuple[str, ...], language: str, numbers: int
) -> None:
    # two reports that share a date and a count and hardly a word are no story
    told = replace(story(text("a", STORM, numbers={"2", "11"})), languages=languages)
    article = replace(
        text("b", STORM, numbers={"2", "11"}),
        body=at_cosine(body),
        lead=at_cosine(lead),
        language=language,
    )
    signals = signals_of(article, told)
    assert (signals.body, signals.lead) == pytest.approx((body, lead))
    assert signals.numbers == numbers


def test_no_merge_without_shared_words_whatever_the_numbers() -> None:
    # why story_signals needs no gate on numbers: just below it in the body and the lead,
    # with the titles alike and every number shared, two stories stay apart
    below = Signals(
        body=match.NUMBERS_NEED_WORDS,
        lead=match.NUMBERS_NEED_WORDS,
        title=1.0,
        numbers=9,
        hours=0.0,
    )
    assert score(below) < MERGE_SCORE


def test_an_article_with_no_candidates_opens_a_story() -> None:
    first = text("a", STORM)
    decision = decide(first, [], window_s=WINDOW)
    assert decision == Decision("first", None, opened_by(first), 0.0, [], {})


def test_the_article_joins_the_story_it_scores_highest_against() -> None:
    near = story(text("a", BUDGET), seq=1)
    nearest = story(text("b", STORM), seq=2)
    article = text("c", [*STORM[:4], *BUDGET[:2]])
    decision = decide(article, [near, nearest], window_s=WINDOW)
    assert score(signals_of(article, near)) >= LINK_SCORE  # both could take it
    # ...but the two stories are not one news item: the article merges nothing
    assert score(story_signals(nearest, near)) < MERGE_SCORE
    assert decision.joined == nearest
    assert decision.merged is None
    assert decision.state == grown_by(nearest, article)
    assert decision.role == "rewrite"
    assert decision.score == round(score(signals_of(article, nearest)), 3)


def test_of_two_stories_scoring_the_same_the_older_is_joined() -> None:
    older, newer = story(text("a", STORM), seq=3), story(text("b", STORM), seq=7)
    decision = decide(text("c", STORM), [newer, older], window_s=WINDOW)
    assert decision.joined == older


def test_an_article_linking_two_stories_that_are_one_news_item_merges_them() -> None:
    """Two stories of one news item, opened apart (the second's first article did not reach
    the first story then): an article that links both brings them together, into the older,
    whose id the article gets; the younger's state is absorbed."""
    older = story(text("a", STORM, at=T), seq=7)
    younger = story(text("b", [*STORM[:5], *BUDGET[:1]], at=T + HOUR), seq=3)
    article = text("c", STORM[1:], at=T + 2 * HOUR)
    assert score(story_signals(older, younger)) >= MERGE_SCORE
    decision = decide(article, [younger, older], window_s=WINDOW)
    assert decision.joined == older
    assert decision.merged == younger
    assert decision.state == grown_by(absorbed(older, younger), article)
    assert (decision.state.story_id, decision.state.size) == ("a", 3)
    assert decision.state.version == older.version + 1  # one write, as any growth
    assert decision.state.outlets == ("outlet-a", "outlet-b", "outlet-c")
    assert [m.article_id for m in decision.state.members] == ["a", "b", "c"]  # newest last


def test_a_story_counts_every_number_and_place_of_a_new_member_before_it_cuts() -> None:
    """An article naming more numbers than a story keeps: the one the story names already
    is counted up, not cut with the article's own before the story's are added."""
    member = text("a", STORM, numbers={"999"})
    many = {str(n) for n in range(100, 113)} | {"999"}  # 14 numbers: 13 sort before "999"
    grown = grown_by(story(member), text("b", STORM, numbers=many))
    assert grown.numbers["999"] == 2
    places = {f"geonames:{n}" for n in range(10)} | {"zz"}  # "zz" sorts last
    grown = grown_by(story(text("c", STORM, places={"zz"})), text("d", STORM, places=places))
    assert grown.places["zz"] == 2


def test_stories_are_compared_as_wholes_by_the_same_signals() -> None:
    one = story(
        text("a", STORM, at=T, numbers={"34", "7"}),
        text("b", STORM, at=T + HOUR / 2, numbers={"7"}),
        text("c", STORM, at=T + HOUR),
    )
    other = story(text("d", STORM[:3], at=T + 3 * HOUR, numbers={"34", "7"}))
    signals = story_signals(one, other)
    assert signals.title == pytest.approx(math.sqrt(3 / 6))
    assert signals.numbers == 1  # 7, named by most of each; 34 by one member of three
    assert signals.hours == pytest.approx(2.0)  # from the end of one's span to other's start
    assert story_signals(other, one) == signals


def test_below_the_link_score_the_article_opens_its_own_story() -> None:
    other = story(text("a", [*STORM[:1], *BUDGET]))
    article = text("b", STORM)
    nearest = score(signals_of(article, other))
    decision = decide(article, [other], window_s=WINDOW)
    assert 0.0 < nearest < LINK_SCORE
    assert (decision.role, decision.joined) == ("first", None)
    assert decision.state == opened_by(article)
    assert decision.score == round(nearest, 3)  # how near it came, for the operator


@pytest.mark.parametrize(
    ("link_above_score", "joins"),
    [pytest.param(0.0, True, id="at-the-link-score"), pytest.param(1e-9, False, id="just-below")],
)
def test_the_link_score_itself_joins(
    monkeypatch: pytest.MonkeyPatch, link_above_score: float, joins: bool
) -> None:
    candidate = story(text("a", [*STORM[:3], *BUDGET[:3]]))
    article = text("b", STORM)
    exact = score(signals_of(article, candidate))
    monkeypatch.setattr(match, "LINK_SCORE", exact + link_above_score)
    assert (decide(article, [candidate], window_s=WINDOW).joined is not None) == joins


def test_a_copy_joins_its_originals_story_whatever_the_score() -> None:
    original = story(text("a", BUDGET), seq=4)
    unrelated = story(text("b", STORM), seq=5)
    copy = text("c", STORM, copy_of="a")
    decision = decide(copy, [unrelated, original], window_s=WINDOW, copy_story=4)
    assert score(signals_of(copy, original)) < LINK_SCORE
    assert (decision.role, decision.joined) == ("copy", original)


def test_a_copy_joins_its_originals_story_even_outside_the_window() -> None:
    original = story(text("a", STORM, at=T - 3 * WINDOW), seq=4)
    decision = decide(text("c", STORM, copy_of="a"), [original], window_s=WINDOW, copy_story=4)
    assert (decision.role, decision.joined) == ("copy", original)


def test_a_copy_whose_originals_story_is_not_read_is_decided_by_its_score() -> None:
    decision = decide(
        text("c", STORM, copy_of="a"), [story(text("b", STORM))], window_s=WINDOW, copy_story=9
    )
    assert decision.role == "rewrite"


def test_a_story_the_index_has_not_numbered_is_no_copys_original() -> None:
    """copy_story 0 means "no original"; a story not numbered yet (seq 0, as opened_by makes
    it) is not the original's story: an unrelated one must not be joined as a copy."""
    unnumbered = opened_by(text("a", BUDGET))
    decision = decide(text("b", STORM), [unnumbered], window_s=WINDOW)
    assert (decision.role, decision.joined) == ("first", None)


@pytest.mark.parametrize(
    ("outlet", "add_on", "copy", "role"),
    [
        pytest.param("Daily", False, False, "rewrite", id="another-outlet"),
        pytest.param("Wire", False, False, "part", id="outlet-already-in-story"),
        pytest.param("Daily", True, False, "part", id="wire-add-on"),
        pytest.param("Wire", True, True, "copy", id="copy-before-part"),
        pytest.param("Daily", False, True, "copy", id="copy"),
    ],
)
def test_roles(outlet: str, add_on: bool, copy: bool, role: str) -> None:
    members = story(text("a", STORM, outlet="Wire"), text("b", STORM, outlet="Gazette"))
    article = text("c", STORM, outlet=outlet, add_on=add_on, copy_of="a" if copy else "")
    decision = decide(article, [members], window_s=WINDOW, copy_story=1 if copy else 0)
    assert decision.role == role


@pytest.mark.parametrize(
    ("last_growth", "joins"),
    [
        pytest.param(T - WINDOW - HOUR, False, id="grew-last-before-the-window"),
        pytest.param(T - WINDOW + HOUR, True, id="grew-last-inside-the-window"),
        pytest.param(T + WINDOW + HOUR, False, id="article-long-before-it"),
        pytest.param(T + WINDOW - HOUR, True, id="article-shortly-before-it"),
    ],
)
def test_a_story_outside_the_window_is_not_joined(last_growth: float, joins: bool) -> None:
    candidate = story(text("a", STORM, at=last_growth))
    decision = decide(text("b", STORM, at=T), [candidate], window_s=WINDOW)
    assert (decision.joined is not None) == joins


def test_no_chaining_an_article_like_one_member_only_does_not_join_the_story() -> None:
    """A and B tell one news item, as do B and C; A and C share nothing. B is A's and C's in
    part: scored against B alone, C would join; against the story A and B make, it does not:
    A~B and B~C do not make A~C."""
    a_words = {"a1": 1.0, "a2": 1.0, "a3": 1.0, "a4": 1.0}
    c_words = {"c1": 1.0, "c2": 1.0, "c3": 1.0, "c4": 1.0}
    like_a, like_c = 0.3, 0.25  # B's cosines with A and with C
    own = math.sqrt(1 - like_a**2 - like_c**2)
    b_words = {
        **dict.fromkeys(a_words, like_a),
        **dict.fromkeys(c_words, like_c),
        **{f"b{i}": own for i in range(1, 5)},
    }
    a, b, c = text("a", a_words), text("b", b_words), text("c", c_words)
    assert score(signals_of(b, opened_by(a))) >= LINK_SCORE  # B joins A
    assert score(signals_of(c, opened_by(b))) >= LINK_SCORE  # C would join B alone
    assert signals_of(c, opened_by(a)).body == 0.0

    decisions, stories = stream([a, b, c])

    assert [d.role for d in decisions] == ["first", "rewrite", "first"]
    assert decisions[2].score < LINK_SCORE
    assert sorted((s.story_id, s.size) for s in stories.values()) == [("a", 2), ("c", 1)]


def test_rewrites_streamed_one_after_another_make_one_story() -> None:
    rewrites = [text(n, STORM[i : i + 5]) for i, n in enumerate("abc")]
    decisions, stories = stream([*rewrites, text("d", BUDGET)])
    assert [d.role for d in decisions] == ["first", "rewrite", "rewrite", "first"]
    assert sorted((s.story_id, s.size) for s in stories.values()) == [("a", 3), ("d", 1)]


def test_matched_lists_the_nearest_members_best_first() -> None:
    members = [
        text(n, [*STORM[:k], *BUDGET[k:]]) for n, k in zip("abcd", (2, 6, 3, 4), strict=True)
    ]
    decision = decide(text("e", STORM), [story(*members)], window_s=WINDOW)
    assert [m["article_id"] for m in decision.matched] == ["b", "d", "c"][:MATCHED]
    assert [m["lead_similarity"] for m in decision.matched] == [1.0, 0.667, 0.5]


def test_evidence_names_shared_numbers_and_places() -> None:
    members = story(text("a", STORM, numbers={"34", "12"}, places={"P1", "P2"}))
    article = text("b", STORM, numbers={"34", "99"}, places={"P2", "P3"})
    evidence = decide(article, [members], window_s=WINDOW).evidence
    assert evidence["shared_numbers"] == ["34"]
    assert evidence["shared_places"] == ["P2"]
    assert evidence["title_overlap"] == 1.0


FILLER = " the of and to in on at by for with a"  # words that weigh nothing here


@pytest.mark.parametrize(
    ("first", "second", "language", "its_form", "the_storys_form"),
    [
        pytest.param(
            (
                "Storm closes Valmora harbours",
                "Storm closed the harbours of Valmora on Monday, and the harbours will open "
                "when the wind drops and the harbours are safe." + FILLER * 2,
            ),
            (
                "Valmora harbour closed by storm",
                "The harbour of Valmora was closed by a storm on Monday; the harbour will "
                "open when the wind drops." + FILLER * 2,
            ),
            "en",
            "harbour",
            "harbours",
            id="english",
        ),
        pytest.param(
            (
                "استئناف المفاوضات في القاهرة",
                "استؤنفت المفاوضات في القاهرة اليوم بحضور الوفود، وقال مسؤول إن المفاوضات "
                "ستستمر ثلاثة أيام وإن أجواء المفاوضات إيجابية رغم الخلافات حول الحدود "
                "والمعابر والأسرى.",
            ),
            (
                "مفاوضات القاهرة تستأنف",
                "تستأنف اليوم في القاهرة مفاوضات الوفود، ويقول مسؤولون إن مفاوضات هذه الجولة "
                "تستمر أيامًا، وإن المفاوضات تتناول الحدود والمعابر وتبادل الأسرى وسط أجواء "
                "وصفت بالإيجابية.",
            ),
            "ar",
            "مفاوضات",
            "المفاوضات",
            id="arabic",
        ),
    ],
)
def test_evidence_lists_shared_words_in_the_articles_own_forms(
    first: tuple[str, str],
    second: tuple[str, str],
    language: str,
    its_form: str,
    the_storys_form: str,
) -> None:
    reader = StoryReader(ListedWeights())
    opener = reader.read(article("a", *first, language=language))
    joiner = reader.read(article("b", *second, language=language))
    assert isinstance(opener, StoryText) and isinstance(joiner, StoryText)

    decision = decide(joiner, [story(opener)], window_s=WINDOW)

    shared = decision.evidence["shared_words"]
    assert isinstance(shared, list) and decision.joined is not None
    assert shared[0] == its_form  # the heaviest shared word, as this article writes it
    assert the_storys_form not in shared
    assert set(shared) <= set(split_words(" ".join(second)))


FILLER_AR = " ".join(f"كلمة{n}" for n in range(24))


@pytest.mark.parametrize(
    ("title", "add_on"),
    [
        pytest.param("إضافة أولى: وزير الخارجية يصل إلى القاهرة", True, id="add-on-one"),
        pytest.param("اضافه اولى وزير الخارجية يصل إلى القاهرة", True, id="add-on-with-ha"),
        pytest.param("تابع: وزير الخارجية يصل إلى القاهرة", True, id="follows"),
        pytest.param("وزير الخارجية يصل إلى القاهرة (يتبع)", True, id="to-follow"),
        pytest.param("مقتل جنود من القوات التابعة للحكومة", False, id="affiliated-holds-tabi"),
        pytest.param("بالإضافة إلى الوزير وصل الوفد", False, id="in-addition-to"),
        pytest.param("وزير الخارجية يصل إلى القاهرة", False, id="plain-dispatch"),
    ],
)
def test_a_wire_add_on_is_told_by_whole_words_of_its_head(title: str, add_on: bool) -> None:
    read = StoryReader(ListedWeights()).read(article("a", title, FILLER_AR, language="ar"))
    assert isinstance(read, StoryText)
    assert read.add_on == add_on


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        ([("a", ["storm"]), ("b", ["budget"]), ("c", ["ferry"])], [["a", "b", "c"]]),
        ([("a", ["storm"]), ("b", ["storm"]), ("c", ["budget"])], [["a", "c"], ["b"]]),
        ([("a", ["storm"]), ("b", ["storm"]), ("c", ["storm"])], [["a"], ["b"], ["c"]]),
        # c shares nothing with b but a key with a: it only needs to come after a.
        ([("a", ["storm"]), ("b", ["storm", "ferry"]), ("c", ["storm2"])], [["a", "c"], ["b"]]),
        ([("a", ["storm"]), ("a", ["budget"])], [["a"], ["a"]]),  # one id twice
    ],
    ids=["disjoint", "one-shared-key", "chain", "only-what-it-shares", "same-id"],
)
def test_a_batch_is_cut_into_waves_of_articles_sharing_no_key(
    batch: list[tuple[str, list[str]]], expected: list[list[str]]
) -> None:
    texts = [text(article_id, words) for article_id, words in batch]
    assert [[t.article_id for t in wave] for wave in waves(texts)] == expected


def test_a_copy_waits_for_the_wave_of_its_original() -> None:
    original, copy = text("a", ["storm"]), text("b", ["ferry"], copy_of="a")
    assert [[t.article_id for t in wave] for wave in waves([original, copy])] == [["a"], ["b"]]


def test_the_vectors_read_of_an_article_are_unit_vectors_once_cut() -> None:
    """match.py compares them as norm 1: a vector cut to its heaviest words after it was
    normalized would score every pair lower than its cosine."""
    long_text = " ".join(f"word{n} " * (1 + n % 3) for n in range(120))
    read = StoryReader(ListedWeights({})).read(
        {
            "article_id": "a" * 32,
            "title": long_text,
            "body": long_text,
            "seen_at": "2024-01-01T00:00:00Z",
        }
    )
    assert isinstance(read, StoryText)
    for vector in (read.body, read.lead, read.title_terms):
        assert math.fsum(w * w for w in vector.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2024-05-01T08:00:00Z", "2024-05-01T08:00:00+00:00"),
        (None, "2024-05-01T10:00:00+00:00"),  # none given: seen
        ("2024-05-01T12:00:00Z", "2024-05-01T10:00:00+00:00"),  # after it was seen
        ("1970-01-01T00:00:00Z", "2024-05-01T10:00:00+00:00"),  # a placeholder
        ("not a date", "2024-05-01T10:00:00+00:00"),
    ],
    ids=["published", "none", "future", "placeholder", "unreadable"],
)
def test_when_an_article_was_published(published: str | None, expected: str) -> None:
    message = {"seen_at": "2024-05-01T10:00:00Z", "published": published}
    assert published_at(message) == datetime.fromisoformat(expected).timestamp()
