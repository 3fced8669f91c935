"""Synthetic articles for the story level's tests, as the tag stage hands them to the story
step: rewrites of one news item by several outlets, and articles about something else.
Written for the tests (no corpus text)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from schemas.timestamps import iso_utc
from workers.story.weights import WordWeights
from workers.story.words import Stemmer

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)

# One news item (a storm closes a harbour) told four ways: the words the rewrites share are
# what the story step compares on; each says it in its own order and with its own padding.
STORM = [
    (
        "Storm closes Valmora harbour and cancels ferries to Ostrel",
        "A winter storm closed the harbour of Valmora on Monday, and the port authority "
        "cancelled every ferry to Ostrel island until Wednesday. Waves of seven metres broke "
        "over the northern breakwater and sank two fishing boats at their moorings, the harbour "
        "master said. Nobody was hurt. Engineers will inspect the breakwater when the wind "
        "drops; the authority put the cost of repairs at 340 thousand euros.",
    ),
    (
        "Valmora harbour shut by storm, Ostrel ferries cancelled",
        "The port authority of Valmora cancelled all ferries to Ostrel island until Wednesday "
        "after a winter storm shut the harbour on Monday. Two fishing boats sank at their "
        "moorings when waves of seven metres broke over the northern breakwater, according to "
        "the harbour master. No one was injured. The authority estimates repairs at 340 "
        "thousand euros, and engineers will inspect the breakwater once the wind drops.",
    ),
    (
        "Ferries to Ostrel halted as storm batters Valmora harbour",
        "Ferries between Valmora and Ostrel island will not sail until Wednesday, the port "
        "authority said, after a winter storm closed the harbour on Monday. Waves of seven "
        "metres damaged the northern breakwater, and two fishing boats sank at their moorings. "
        "Engineers are to inspect the breakwater when the wind drops. Repairs will cost about "
        "340 thousand euros, the authority said; nobody was hurt.",
    ),
    (
        "Storm sinks two boats in Valmora harbour, Ostrel ferries stopped",
        "Two fishing boats sank in the harbour of Valmora on Monday as a winter storm drove "
        "waves of seven metres over the northern breakwater. The port authority stopped the "
        "ferries to Ostrel island until Wednesday and said repairs would cost 340 thousand "
        "euros. The harbour master said nobody was hurt; engineers will inspect the breakwater "
        "when the wind drops.",
    ),
]
BUDGET = (
    "Brenholt council approves school budget",
    "The city council of Brenholt approved next year's school budget on Thursday by nineteen "
    "votes to six. The plan adds forty teachers, repairs the roofs of three primary schools "
    "and pays for free lunches in every kindergarten. Opposition councillors said the tax "
    "rise that funds it would hurt small shops; the mayor answered that the rise was the "
    "smallest in a decade.",
)
# The same news item in Arabic, told twice: clitics and suffixes differ between the two
# (وزير/الوزير, المفاوضات/مفاوضات, الأسرى/للأسرى); light stemming makes them one word.
TALKS_AR = [
    (
        "وزير الخارجية يصل إلى القاهرة لبحث وقف إطلاق النار",
        "وصل وزير الخارجية إلى القاهرة صباح الاثنين في زيارة رسمية يبحث خلالها مع المسؤولين "
        "المصريين جهود وقف إطلاق النار وتبادل الأسرى. وقال الوزير للصحفيين إن المفاوضات تمر "
        "بمرحلة حساسة، مضيفا أن بلاده تدعم الوساطة المصرية القطرية. ومن المقرر أن يلتقي "
        "الوزير الرئيس المصري غدا.",
    ),
    (
        "في القاهرة: وزير الخارجية يبحث وقف إطلاق النار وتبادل الأسرى",
        "يبحث وزير الخارجية الذي وصل إلى القاهرة الاثنين مع المسؤولين المصريين جهود وقف "
        "إطلاق النار وصفقة لتبادل الأسرى. وأكد الوزير في تصريحات للصحفيين أن مفاوضات وقف "
        "إطلاق النار حساسة، وأن بلاده تدعم الوساطة المصرية القطرية، على أن يلتقي الرئيس "
        "المصري يوم الثلاثاء.",
    ),
]
# Words that say nothing about which news item a text tells (what the word lists' commonest
# words are): the unit tests weigh them 0 and every other word 1, without the lists.
COMMON_WORDS = (
    "a about after all an and are as at be by every for from has have in is it its no not "
    "of on one or over said that the their they this to two was when which will with would"
)


class ListedWeights(WordWeights):
    """Word weights without the word frequency lists: the words named weigh nothing, every
    other word 1 (so that a unit test's scores do not depend on the lists' data)."""

    def __init__(self, nothing: Iterable[str] = COMMON_WORDS.split()) -> None:
        stemmer = Stemmer()
        super().__init__(stemmer)
        self._nothing = {stemmer(word): 0.0 for word in nothing}

    unknown = 1.0

    def table(self, language: str | None) -> dict[str, float]:
        return self._nothing


def article(
    article_id: str,
    title: str,
    body: str,
    *,
    outlet: str = "Gazette",
    at: datetime = T0,
    language: str = "en",
    places: Iterable[str] = (),
    dedupe: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An article as the tag stage hands it to the story step (seen when published)."""
    message: dict[str, Any] = {
        "article_id": article_id,
        "url": f"https://{outlet.lower()}.example/{article_id}",
        "outlet": outlet,
        "title": title,
        "body": body,
        "published": iso_utc(at),
        "seen_at": iso_utc(at),
        "tags": {"language": language, "places": [{"id": p} for p in places]},
    }
    if dedupe is not None:
        message["dedupe"] = dict(dedupe)
    return message


def storm(n: int, article_id: str, outlet: str, **kw: Any) -> dict[str, Any]:
    """The storm story as the n-th outlet told it."""
    title, body = STORM[n]
    return article(article_id, title, body, outlet=outlet, **kw)


def budget(article_id: str, outlet: str = "Courier", **kw: Any) -> dict[str, Any]:
    title, body = BUDGET
    return article(article_id, title, body, outlet=outlet, **kw)


def article_id(n: int) -> str:
    return f"{n:032x}"
