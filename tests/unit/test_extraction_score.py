"""The extraction benchmark's metric, on the edge cases its README spells out."""

import gzip
import json
from pathlib import Path

import pytest

from evaluation import eval_extraction
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


def test_the_command_runs_on_a_tiny_benchmark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "extraction" / "scrapinghub-2019"
    (folder / "html").mkdir(parents=True)
    truth = {}
    for n in range(2):
        paragraphs = tuple(
            f"Paragraph {k} of test story {n}, long enough to be kept as body text by the extractor."
            for k in range(5)
        )
        html = render_page(
            Outlet("o", "Outlet", "en"),
            Story("o", f"s{n}", f"Story {n}", "2026-11-29T07:00:00Z", paragraphs),
        )
        (folder / "html" / f"p{n}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[f"p{n}"] = {"articleBody": "\n".join(paragraphs), "url": f"https://example.org/{n}"}
    (folder / "ground-truth.json").write_text(json.dumps(truth))
    out = tmp_path / "result.json"
    assert eval_extraction.main([str(tmp_path), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["newsflow extract_page"]["f1"] > 0.9
    assert result["same_body_without_xpath_guards"] == 2
    assert "trafilatura.extract" in capsys.readouterr().out
