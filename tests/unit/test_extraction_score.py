"""The extraction benchmark's metric, on the edge cases its README spells out."""

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from evaluation import eval_extraction, extraction_sets
from evaluation.extraction_score import benchmark_score, page_score, shingles
from services.replay_server import Outlet, Story, render_page


def test_shingles_are_4_token_multisets_and_short_texts_give_one() -> None:
    assert shingles("a b c d a b c d") == {
        ("a", "b", "c", "d"): 2,
        ("b", "c", "d", "a"): 1,
        ("c", "d", "a", "b"): 1,
        ("d", "a", "b", "c"): 1,
    }
    assert shingles("one two") == {("one", "two"): 1}
    assert shingles("...") == {}


def test_python_word_characters_split_on_combining_marks() -> None:
    assert len(shingles("كَتَبَ")) == 1 and shingles("كَتَبَ") == {("ك", "ت", "ب"): 1}


CASES = [
    ("identical", "the cat sat on the mat", "the cat sat on the mat", 1.0, 1.0),
    ("both-empty", "", "", 1.0, 1.0),
    ("empty-prediction", "", "the cat sat on the mat", 0.0, 0.0),
    ("half-found", "the cat sat on", "the cat sat on the mat", 1.0, 1 / 3),
    ("extra-boilerplate", "menu home the cat sat on the mat", "the cat sat on the mat", 3 / 5, 1.0),
]


@pytest.mark.parametrize(
    ("prediction", "truth", "precision", "recall"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_page_scores(prediction: str, truth: str, precision: float, recall: float) -> None:
    score = page_score(prediction, truth)
    assert (score.precision, score.recall) == pytest.approx((precision, recall))


def test_empty_predictions_are_left_out_of_precision_but_count_in_recall() -> None:
    truths = {"a": "the cat sat on the mat", "b": "a dog ran in the park today"}
    score = benchmark_score({"a": "the cat sat on the mat", "b": ""}, truths)
    assert (score.precision, score.recall, score.empty_predictions, score.accuracy) == (
        1.0,
        0.5,
        1,
        0.5,
    )


def _page(n: int) -> tuple[str, tuple[str, ...]]:
    paragraphs = tuple(
        f"Paragraph {k} of test story {n}, long enough to be kept as body text by the extractor."
        for k in range(5)
    )
    html = render_page(
        Outlet("o", "Outlet", "en"),
        Story("o", f"s{n}", f"Story {n}", "2026-11-29T07:00:00Z", paragraphs),
    )
    return html, paragraphs


def _scrapinghub_layout(folder: Path) -> None:
    (folder / "html").mkdir(parents=True)
    truth = {}
    for n in range(2):
        html, paragraphs = _page(n)
        (folder / "html" / f"p{n}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[f"p{n}"] = {"articleBody": "\n".join(paragraphs), "url": f"https://example.org/{n}"}
    (folder / "ground-truth.json").write_text(json.dumps(truth))


def _archive_layout(folder: Path) -> None:
    """Pages and gold texts in one archive; a page without gold text is left out."""
    folder.mkdir(parents=True)
    with tarfile.open(folder / "pages-and-gold.tar.gz", "w:gz") as tar:
        for n in range(3):
            html, paragraphs = _page(n)
            files = [(f"set/input/{n}.html", html.encode())]
            if n < 2:
                files.append((f"set/GoldStandard/{n}.txt", "\n".join(paragraphs).encode()))
            for name, data in files:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


def test_the_command_scores_every_set_in_either_layout_and_pools_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scrapinghub_layout(tmp_path / "extraction" / "first")
    _archive_layout(tmp_path / "extraction" / "second")
    out = tmp_path / "result.json"
    assert eval_extraction.main([str(tmp_path), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    sets = result["sets"]
    assert sets.keys() == {"first", "second", "pooled"}
    assert [sets[name]["newsflow extract_page"]["pages"] for name in sets] == [2, 2, 4]
    assert all(sets[name]["newsflow extract_page"]["f1"] > 0.9 for name in sets)
    assert result["same_body_without_xpath_guards"] == 4
    printed = capsys.readouterr().out
    assert "trafilatura.extract" in printed and "goal second: F1 >= plain + 0.01" in printed


def test_a_folder_in_neither_layout_is_named(tmp_path: Path) -> None:
    (tmp_path / "extraction" / "odd").mkdir(parents=True)
    with pytest.raises(extraction_sets.UnknownLayout, match="odd"):
        extraction_sets.read_sets(tmp_path)


@pytest.mark.parametrize(
    ("gold", "article"),
    [
        ("Title\nBody.\n\n!@#$%^&*()  COMMENTS\n\nNice post!", "Title\nBody.\n\n"),
        ("Body.\n!@ $%^&*() COMMENTS\nFirst!", "Body.\n"),  # a garbled marker, as in the set
        ("Body.\r\n!@#$%^&*()  COMMENTS\r\nFirst!", "Body.\r\n"),  # CRLF lines
        ("Body about COMMENTS in a sentence.", "Body about COMMENTS in a sentence."),
        ("No comments here.", "No comments here."),
    ],
)
def test_readers_comments_after_dragnets_marker_are_not_the_article(
    gold: str, article: str
) -> None:
    assert extraction_sets.article_part(gold) == article


@pytest.mark.parametrize(
    ("gold", "text"),
    [
        (
            '<div class="page"><p>One <a href="/x">link</a>.</p><p>Two</p>tail</div>',
            "One link.\nTwo\ntail",
        ),
        ("<div>Lead<div>Inner</div></div>", "Lead\nInner"),
        ("<table><tr><td>x</td><td>y</td></tr></table>", "x\ny"),
        ("<div><p>Text</p><script>var hidden;</script><style>p {}</style></div>", "Text"),
        ("Plain text, kept\nas it is.", "Plain text, kept\nas it is."),
    ],
)
def test_a_gold_in_html_is_read_as_its_text(gold: str, text: str) -> None:
    assert extraction_sets.gold_text(gold) == text


def test_goal_lines_say_met_and_not_met() -> None:
    def row(f1: float, precision: float, empty: int, ms: float) -> dict[str, float]:
        return {"f1": f1, "precision": precision, "empty": empty, "cpu_ms_per_page": ms}

    ours, plain = eval_extraction.OURS, eval_extraction.PLAIN
    table = {
        "won": {ours: row(0.95, 0.9, 0, 10), plain: row(0.9, 0.9, 0, 10)},
        "lost": {ours: row(0.905, 0.8, 2, 20), plain: row(0.9, 0.9, 1, 10)},
        "pooled": {},
    }
    lines = eval_extraction.goal_lines(table)
    assert [line.endswith("— met") for line in lines] == [True] * 4 + [False] * 4
    assert lines[4] == "goal lost: F1 >= plain + 0.01 — NOT met"


def test_an_unpacked_set_is_read_and_an_unknown_set_name_refused(tmp_path: Path) -> None:
    folder = tmp_path / "extraction" / "unpacked"
    (folder / "pages" / "input").mkdir(parents=True)
    (folder / "pages" / "GoldStandard").mkdir(parents=True)
    html, paragraphs = _page(0)
    (folder / "pages" / "input" / "a.html").write_text(html)
    gold = "\n".join(paragraphs).encode("utf-16")  # with its byte-order mark
    (folder / "pages" / "GoldStandard" / "a.txt").write_bytes(gold)
    (only,) = extraction_sets.read_sets(tmp_path)
    assert only.truths == {"a": "\n".join(paragraphs)}
    with pytest.raises(extraction_sets.UnknownSet, match="nosuch"):
        extraction_sets.read_sets(tmp_path, frozenset({"nosuch"}))
