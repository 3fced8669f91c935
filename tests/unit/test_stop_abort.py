"""A stop (SIGTERM) cuts a stage's work short without changing its output: an aborted fetch
is no failure of the server (no article made of the feed's text, no feed error), an
extraction in progress ends within a tick, and the runner hands the batch back. Slow
transfers aborted for real are in tests/integration/test_stop_in_transfer.py."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pycurl
import pytest

from adapters.http_fetch import Destination, FetchLimits, Hop, HttpFetcher
from ingest import extract_stage
from ingest.extract import extract_page, page_text
from ingest.extract_stage import ExtractStage, FetchOnDemand
from ingest.feeds import FeedConfig
from ingest.fetching import ABORTED, FetchFailure, FetchResponse, raise_if_aborted
from ingest.memory_feed_state import InMemoryFeedState
from ingest.poller import Poller
from ingest.time_budget import CHECK_S, OverBudget, cut_short, next_alarm_s, time_budget
from newsflow.logs import configure_logging
from newsflow.stages import feed_fetch, robots_policy
from schemas.contracts import example
from schemas.topics import Topics
from tests.fakes import FakeSink, FakeSource, ScriptedFetch, record
from workers.backoff import Backoff
from workers.errors import Interrupted
from workers.runner import WorkerLoop

URL = "https://news.example.org/world/harbour-reopens"
PAGE = (
    "<html><body><article><h1>Harbour reopens</h1><p>"
    + "The harbour reopened to ships this morning after a week of storms. " * 6
    + "</p></article></body></html>"
).encode()
ABORTED_FETCH = FetchFailure(URL, "stopped in transfer", ABORTED)
# trafilatura and the libraries it runs on each page, which log that page's problems.
PER_PAGE_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")


def _entry(url: str = URL, n: int = 0) -> dict[str, Any]:
    # The feed has text of its own: an aborted page must not become an article made of it.
    return dict(example("entry.v1"), url=url, article_id=f"{n:032x}")


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _stopped() -> threading.Event:
    stop = threading.Event()
    stop.set()
    return stop


def _set_later(event: threading.Event, after_s: float) -> threading.Timer:
    timer = threading.Timer(after_s, event.set)
    timer.start()
    return timer


# --- the fetch's outcome --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fetched", "interrupted"),
    [
        (ABORTED_FETCH, True),
        (FetchFailure(URL, "timed out", "timeout"), False),
        (FetchFailure(URL, "curl error 7", "network"), False),
        (FetchResponse(200, URL, {}, b"<p>x</p>"), False),
    ],
    ids=["aborted", "timeout", "network", "response"],
)
def test_only_an_aborted_fetch_raises_interrupted(
    fetched: FetchResponse | FetchFailure, interrupted: bool
) -> None:
    if interrupted:
        with pytest.raises(Interrupted, match="stopped in transfer"):
            raise_if_aborted(fetched)
    else:
        assert raise_if_aborted(fetched) is fetched


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (pycurl.E_ABORTED_BY_CALLBACK, ABORTED),
        (pycurl.E_OPERATION_TIMEDOUT, "timeout"),
        (pycurl.E_COULDNT_CONNECT, "network"),
    ],
    ids=["aborted-by-the-stop-check", "timed-out", "refused-connection"],
)
def test_a_transfer_aborted_by_the_progress_callback_is_told_apart(code: int, kind: str) -> None:
    limits = FetchLimits()
    hop = Hop.to(Destination(URL, "news.example.org", "192.0.2.1"), limits)
    assert hop.failure(pycurl.error(code, "message"), limits).kind == kind


# --- the time budget ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left_s", "stopping", "raised"),
    [
        (5.0, False, None),
        (5.0, True, Interrupted),
        (0.0, False, OverBudget),
        (-1.0, True, Interrupted),  # both: handed back, not the page's failure
    ],
    ids=["within-budget", "stopping", "over-budget", "over-budget-and-stopping"],
)
def test_what_an_alarm_raises(left_s: float, stopping: bool, raised: type | None) -> None:
    outcome = cut_short(left_s, stopping, 10.0)
    assert (type(outcome) if outcome is not None else None) is raised


@pytest.mark.parametrize(
    ("left_s", "watching_stop", "expected"),
    [
        (10.0, False, 10.0),
        (10.0, True, CHECK_S),
        (CHECK_S / 2, True, CHECK_S / 2),
        (float("inf"), True, CHECK_S),  # no budget, a stop watched
        (0.0, False, 1e-6),  # never 0: that would disarm the timer
    ],
    ids=["budget-only", "stop-watched", "budget-ends-first", "no-budget", "never-zero"],
)
def test_when_the_next_alarm_comes(left_s: float, watching_stop: bool, expected: float) -> None:
    assert next_alarm_s(left_s, watching_stop) == pytest.approx(expected)


def test_a_stop_cuts_work_in_its_budget_short() -> None:
    stop = threading.Event()
    timer = _set_later(stop, 0.2)
    started = time.monotonic()
    with pytest.raises(Interrupted), time_budget(30.0, stop):
        _spin(10.0)
    timer.join()
    assert time.monotonic() - started < 2


def test_a_stop_before_the_work_raises_at_once() -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Interrupted), time_budget(30.0, stop):
        _spin(5.0)


@pytest.mark.parametrize("stopped", [False, True], ids=["over-budget", "stopped"])
def test_what_the_work_swallows_is_raised_again(stopped: bool) -> None:
    # trafilatura catches Exception around readability and justext, logs it and goes on.
    stop = threading.Event()
    timer = _set_later(stop, 0.2 if stopped else 60.0)
    budget_s = 30.0 if stopped else 0.3
    started = time.monotonic()
    with pytest.raises(Interrupted if stopped else OverBudget), time_budget(budget_s, stop):
        with contextlib.suppress(Exception):
            _spin(3.0)
        _spin(3.0)
    timer.cancel()
    assert time.monotonic() - started < 2.5


def test_no_alarm_is_left_after_the_budget() -> None:
    before = signal.getsignal(signal.SIGALRM)
    stop = threading.Event()
    with time_budget(5.0, stop):
        _spin(0.25)  # a few ticks come and go
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    time.sleep(2 * CHECK_S)  # a tick left armed would raise here


# --- the extract stage ----------------------------------------------------------------


def test_an_aborted_page_hands_the_batch_back_not_the_feeds_text() -> None:
    stage = ExtractStage(FetchOnDemand(ScriptedFetch({URL: ABORTED_FETCH})), Topics())
    with pytest.raises(Interrupted):
        stage.handle_batch([(_entry(), record(b"{}"))])


def test_a_failed_page_still_takes_the_feeds_text() -> None:
    failed = FetchFailure(URL, "curl error 7", "network")
    stage = ExtractStage(FetchOnDemand(ScriptedFetch({URL: failed})), Topics())
    [outcome] = stage.handle_batch([(_entry(), record(b"{}"))])
    assert isinstance(outcome, list)
    assert json.loads(outcome[0].value)["body_source"] != "page"


def test_an_aborted_robots_txt_is_not_taken_for_disallow_all() -> None:
    # Once stopped, the fetcher sends nothing: no network is needed.
    robots = robots_policy(HttpFetcher(FetchLimits(), _stopped()), "newsflow-test")
    page = FetchResponse(200, URL, {"content-type": "text/html"}, PAGE)
    stage = ExtractStage(FetchOnDemand(ScriptedFetch({URL: page})), Topics(), robots=robots)
    with pytest.raises(Interrupted):
        stage.handle_batch([(_entry(), record(b"{}"))])


def test_a_stop_cuts_an_extraction_in_progress_short(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_extraction(html: bytes | str, url: str) -> Any:
        _spin(20.0)  # a page that takes its whole budget
        return extract_page(html, url)

    monkeypatch.setattr(extract_stage, "extract_page", slow_extraction)
    stop = threading.Event()
    page = FetchResponse(200, URL, {"content-type": "text/html"}, PAGE)
    stage = ExtractStage(FetchOnDemand(ScriptedFetch({URL: page})), Topics(), 30.0, stop=stop)
    timer = _set_later(stop, 0.2)
    started = time.monotonic()
    with pytest.raises(Interrupted):
        stage.handle_batch([(_entry(), record(b"{}"))])
    timer.join()
    assert time.monotonic() - started < 2


def test_the_loop_commits_what_was_handled_and_hands_back_the_aborted_batch() -> None:
    """SIGTERM while the second batch's page is in transfer: the first batch's article is
    sent and committed, the second batch is neither sent nor committed, and goes back."""
    stop = threading.Event()
    second_url = URL + "-2"
    page = FetchResponse(200, URL, {"content-type": "text/html"}, PAGE)

    def fetch(url: str) -> FetchResponse | FetchFailure:
        if url == second_url:
            stop.set()  # the signal comes while this page is in transfer
            return FetchFailure(url, "stopped in transfer", ABORTED)
        return page

    first = record(json.dumps(_entry()).encode(), offset=0)
    second = record(json.dumps(_entry(second_url, 1)).encode(), offset=1)
    source, sink = FakeSource([[first], [second]]), FakeSink()
    stage = ExtractStage(FetchOnDemand(fetch), Topics(), stop=stop)
    loop = WorkerLoop(
        stage="extract",
        input_contract="entry.v1",
        dead_letter_topic="dlq",
        handle=stage.handle_batch,
        source=source,
        sink=sink,
        stop=stop,
        backoff=Backoff(base_s=0.0, cap_s=0.0, rng=random.Random(1)),
        commit_interval_s=60.0,
    )
    loop.run()
    assert source.committed == [first]
    assert [json.loads(out.value)["url"] for out in sink.sent] == [URL]
    assert source.handed_back == [second] and source.rewound == []  # nothing sent is dropped


# --- the poller -----------------------------------------------------------------------


def test_a_feed_fetch_aborted_by_the_stop_is_no_feed_error() -> None:
    feed_url = "http://feeds.example/rss"
    stop, in_transfer = threading.Event(), threading.Event()

    def fetch(url: str, headers: Any) -> FetchResponse | FetchFailure:
        # As the poller is wired (newsflow/stages.py): the fetcher aborts on the stop.
        in_transfer.set()
        stop.wait(10)
        return raise_if_aborted(FetchFailure(url, "stopped in transfer", ABORTED))

    state = InMemoryFeedState()
    poller = Poller(
        feeds=[FeedConfig(feed_url, "Example")],
        fetch=fetch,
        state=state,
        sink=FakeSink(),
        topics=Topics(),
        interval_s=60,
        stop=stop,
    )
    running = threading.Thread(target=poller.run)
    running.start()
    assert in_transfer.wait(10)
    stop.set()
    running.join(5)
    assert not running.is_alive(), "the poller's threads did not finish"
    assert poller.errors == {} and state.health == {}


def test_the_pollers_fetch_raises_interrupted_once_stopped() -> None:
    fetch = feed_fetch(HttpFetcher(FetchLimits(), _stopped()))
    with pytest.raises(Interrupted):
        fetch("https://feeds.example.org/rss.xml", {})


# --- third-party loggers --------------------------------------------------------------


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ["kafka", *PER_PAGE_LOGGERS]
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, each in levels.items():
        logging.getLogger(name).setLevel(each)


@pytest.mark.parametrize("level", ["INFO", "WARNING", "ERROR"])
@pytest.mark.parametrize("name", PER_PAGE_LOGGERS)
@pytest.mark.usefixtures("restored_logging")
def test_per_page_loggers_are_quiet_above_error(name: str, level: str) -> None:
    configure_logging(level, "text", "extract")
    assert not logging.getLogger(name).isEnabledFor(logging.ERROR)


@pytest.mark.usefixtures("restored_logging")
def test_a_png_served_as_html_logs_nothing_at_warning_or_above(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging("INFO", "text", "extract")
    logging.getLogger().addHandler(caplog.handler)  # configure_logging replaced the handlers
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000
    extracted = extract_page(page_text(png, "text/html"), URL)
    assert extracted.paragraphs == ()
    loud = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == []
