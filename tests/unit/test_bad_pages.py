"""Pages that break extractors: each ends as a correct extraction or a clear per-article
error (dead letter), never a hang."""

from __future__ import annotations

import json
import threading
import time

import pytest

from ingest.extract_stage import ExtractStage, FetchOnDemand
from ingest.fetching import FetchResponse
from ingest.time_budget import OverBudget, time_budget
from schemas.contracts import example, problems
from schemas.topics import Topics
from tests.fakes import ScriptedFetch, record
from workers.errors import PoisonMessage

URL = "https://news.example.org/world/2026/11/29/harbour-reopens"
ARABIC = (
    "<p>" + "أعلنت الحكومة اليوم عن خطة جديدة لإصلاح شبكة المياه في المدن الساحلية. " * 8 + "</p>"
)

PAGES = {
    "deeply-nested": b"<html><body>"
    + b"<div>" * 20000
    + b"<p>deep</p>"
    + b"</div>" * 20000
    + b"</body></html>",
    "binary-garbage": bytes(range(256)) * 2000,
    "huge-flat": b"<html><body>"
    + b"<p>filler text of a very long page.</p>" * 100_000
    + b"</body></html>",
    "malformed": b"<html><body><p>Unclosed <b>bold <i>and <p>more</div></span></table>",
    "undeclared-windows-1256": f"<html><body><article>{ARABIC}</article></body></html>".encode(
        "cp1256"
    ),
    "image-bytes": b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000,
    "empty": b"",
}


def _entry() -> dict[str, object]:
    return dict(example("entry.v1"), url=URL, summary=None, content=None)


@pytest.mark.parametrize("name", list(PAGES))
def test_bad_pages_end_as_an_article_or_a_per_article_error(name: str) -> None:
    fetch = ScriptedFetch(
        {URL: FetchResponse(200, URL, {"content-type": "text/html"}, PAGES[name])}
    )
    stage = ExtractStage(FetchOnDemand(fetch), Topics(), budget_s=5.0)
    started = time.monotonic()
    try:
        out = stage.handle(_entry(), record(b"{}"))
    except PoisonMessage as exc:
        assert exc.error_type == "extraction_empty" and exc.reason
    else:
        assert problems("article.v1", json.loads(out[0].value)) == []
    assert time.monotonic() - started < 15


def test_undeclared_legacy_encoding_comes_out_right() -> None:
    page = PAGES["undeclared-windows-1256"]
    fetch = ScriptedFetch({URL: FetchResponse(200, URL, {"content-type": "text/html"}, page)})
    article = json.loads(
        ExtractStage(FetchOnDemand(fetch), Topics()).handle(_entry(), record(b"{}"))[0].value
    )
    assert "أعلنت الحكومة اليوم" in article["body"]


def test_work_over_its_budget_is_stopped() -> None:
    started = time.monotonic()
    with pytest.raises(OverBudget), time_budget(0.2):
        while True:
            pass
    assert time.monotonic() - started < 2


def test_budget_is_a_no_op_outside_the_main_thread() -> None:
    done = []

    def work() -> None:
        with time_budget(0.01):
            time.sleep(0.05)
        done.append(True)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert done == [True]
