"""How `make eval-tags` scores place mentions against their labels (no data folder: a
document and labels of the test's own)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.place_mention_set import (
    AR_STREAM,
    MIN_EN_CHARS,
    Document,
    Kept,
    Label,
    feed_english_documents,
    read_as,
    score,
)
from evaluation.set_counts import Counts
from workers.dedupe.normalize import normalize_paragraphs
from workers.tag.gazetteer import gazetteer
from workers.tag.language import LanguageDetector
from workers.tag.rules_file import RulesFile
from workers.tag.tagger import Tagger

DOC = Document(
    "ant:test-1",
    "ar",
    tuple(normalize_paragraphs(["زيارة", "زار الأمير تركي بن عبدالله روسيا"], casefold=False)),
)
# "زار الامير تركي بن عبدالله روسيا": تركي at 11 (a first name), روسيا at 27 (Russia).
LABELS = [
    Label("ant:test-1:1:11", AR_STREAM, 4, "other", kind="person"),
    Label("ant:test-1:1:27", AR_STREAM, 5, "place", country="RU"),
]


def test_a_label_is_read_as_the_countries_of_the_kept_mentions_over_it() -> None:
    label = Label("d:1:10", AR_STREAM, 4, "place", country="OM")
    inside = Kept(1, 5, 14, frozenset({"OM"}))  # a longer phrase that holds it
    elsewhere = Kept(1, 20, 24, frozenset({"JO"}))
    other_paragraph = Kept(2, 10, 14, frozenset({"SA"}))
    assert read_as(label, [inside, elsewhere, other_paragraph]) == {"OM"}
    assert read_as(label, [elsewhere]) == set()


def test_counts_give_precision_and_recall() -> None:
    counts = Counts()
    counts.add({"RU"}, {"RU"})
    counts.add(set(), {"TR"})
    counts.add({"JO"}, set())
    assert counts.figures() == {"precision": 0.5, "recall": 0.5, "tp": 1, "fp": 1, "fn": 1}


@pytest.fixture(scope="module")
def rules() -> RulesFile:
    return RulesFile(Path(__file__).resolve().parents[2] / "config" / "tag-rules.toml")


def test_the_context_rules_drop_the_first_name_and_keep_the_country(rules: RulesFile) -> None:
    documents = {DOC.id: DOC}
    plain = Tagger(
        LanguageDetector(), rules, places=gazetteer(context_forms=False), context_rules=False
    )
    before, after = (
        score(plain, LABELS, documents),
        score(Tagger(LanguageDetector(), rules), LABELS, documents),
    )
    half = next(iter(before.mentions))[1]
    assert before.mentions[("ar", half)].figures()["fp"] == 1
    assert before.name_only == ["ant:test-1 TR"]
    assert after.mentions[("ar", half)].figures() == {
        "precision": 1.0,
        "recall": 1.0,
        "tp": 1,
        "fp": 0,
        "fn": 0,
    }
    assert after.name_only == []
    assert after.articles[("ar", half)].figures()["tp"] == 1


ENTRY = (
    "<item><title>{title}</title><link>https://example.org/{n}</link>"
    "<description><![CDATA[<p>{text}</p><p>Second paragraph.</p>]]></description></item>"
)
ENGLISH = (
    "The conference moved from Berlin to a hall near the river this year, and the organisers "
    "said that more than four hundred people had signed up for the workshops, the talks and "
    "the long evening of demonstrations that closes the week; most of them came by train, "
    "some from as far as the coast, and the hotels near the station were full by Tuesday, "
    "which the city's tourist office called the busiest week of its spring."
)
GERMAN = (
    "Die Konferenz ist in diesem Jahr von Berlin in eine Halle am Fluss umgezogen, und die "
    "Veranstalter sagten, dass sich mehr als vierhundert Menschen für die Workshops, die "
    "Vorträge und den langen Abend der Vorführungen angemeldet hatten, der die Woche "
    "abschließt; die meisten kamen mit dem Zug, und die Hotels waren am Dienstag voll, was "
    "das Fremdenverkehrsamt der Stadt die geschäftigste Woche des Frühjahrs nannte."
)


def test_a_feeds_english_entries_are_documents_once_each(tmp_path: Path) -> None:
    folder = tmp_path / "feeds" / "real" / "blog"
    folder.mkdir(parents=True)
    items = [
        ENTRY.format(title="Moving", n=0, text=ENGLISH),
        ENTRY.format(title="Umzug", n=1, text=GERMAN),  # long enough, but not English
        ENTRY.format(title="Short", n=2, text="Berlin again."),  # too short to read
    ]
    rss = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{}</channel></rss>'
    (folder / "a.rss").write_text(rss.format("".join(items)), encoding="utf-8")
    (folder / "b.xml").write_text(rss.format(items[0]), encoding="utf-8")  # the same again
    (folder / "notes.txt").write_text(ENGLISH, encoding="utf-8")  # no feed
    assert len(" ".join(["Umzug", GERMAN])) >= MIN_EN_CHARS
    docs = feed_english_documents(tmp_path)
    assert [d.id for d in docs] == ["feed:blog/a.rss#0"]
    assert docs[0].paragraphs[0] == "Moving"
    assert docs[0].paragraphs[-1] == "Second paragraph"
