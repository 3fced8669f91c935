"""The newsroom view in a real browser (Debian's Chromium), served by `newsflow run` on the
test's broker and Redis, over the bundled demo feeds plus a story titled with a script tag
and a feed that answers 404."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from adapters.kafka_client import KafkaSink, ensure_topics
from newsflow.cli import DEMO_STORIES
from newsflow.settings import Settings
from newsflow.stages import topics_of
from schemas.contracts import example
from schemas.records import OutRecord
from services.process import free_port, port_is_open
from services.replay_server import ReplayServer, load_story_set
from tests.conftest import Namespace
from tests.e2e.pipeline_run import pipeline_env, topic_messages
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_STORY = f"""
[[story]]
outlet = "coastal-wire"
slug = "hostile-title"
title = "{HOSTILE_TITLE}"
published = "2026-11-28T09:00:00Z"
paragraphs = [
  "The lighthouse keepers' association voted on Friday to keep the northern light manned through the winter, reversing a decision taken in the spring.",
  "Members said the automatic beam had failed twice during the autumn gales, and that the coastguard had asked for a keeper on site until a new lamp is fitted.",
  "The association will review the arrangement in March, once the replacement equipment has been tested at sea.",
]
"""
BROKEN_OUTLET = "Closed Down Daily"
STORIES = 9  # the eight demo stories and the hostile one
COPIED = ("Ferries resume after two days", "Island ferries back in service")
LIVE_DESK = "Live Desk"  # the outlet of the records the live test writes (counted apart)


@dataclass(frozen=True)
class View:
    url: str
    kafka: str
    settings: Settings


@pytest.fixture(scope="module")
def view(
    kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[View]:
    work = tmp_path_factory.mktemp("newsroom")
    stories = work / "stories.toml"
    stories.write_text(DEMO_STORIES.read_text(encoding="utf-8") + HOSTILE_STORY, "utf-8")
    replay = ReplayServer.start(load_story_set(stories))
    feeds = work / "feeds.toml"
    broken = (
        f'[[feed]]\nurl = "{replay.site.base_url}/feeds/closed.xml"\noutlet = "{BROKEN_OUTLET}"\n'
    )
    feeds.write_text(replay.site.feeds_toml() + "\n" + broken, encoding="utf-8")
    port = free_port()
    namespace = Namespace(uuid.uuid4().hex[:8])
    env = pipeline_env(
        kafka_bootstrap,
        redis_url,
        namespace,
        feeds,
        work / "state",
        web_port=str(port),
        metrics_port="0",
        poll_interval_s="2",
        log_level="WARNING",
    )
    settings = Settings.load(env)
    ensure_topics(kafka_bootstrap, topics_of(settings).all(), partitions=3)
    run = subprocess.Popen([sys.executable, "-m", "newsflow", "run"], env=env)
    try:
        processed = topics_of(settings).processed
        wait_until(lambda: port_is_open(port), 60, "the newsroom view's port")
        wait_until(
            lambda: len(topic_messages(kafka_bootstrap, processed, 2)) >= STORIES,
            180,
            "the demo stories processed",
        )
        yield View(f"http://127.0.0.1:{port}", kafka_bootstrap, settings)
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(60)
        replay.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:  # an alert() run by injected script would land here
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    try:
        yield page
    finally:
        assert dialogs == [], f"a page opened dialogs: {dialogs}"
        context.close()


def test_the_stream_shows_the_stories_with_the_duplicate_folded_under_its_story(
    view: View, page: Page
) -> None:
    page.goto(view.url + "/")
    demo = page.locator("article.story").filter(has_not_text=LIVE_DESK)
    expect(demo).to_have_count(STORIES - 1)  # one copy is folded
    # The demo's copy, word for word: either may come first (two partitions, two orders).
    card = page.locator("article.story", has_text=COPIED[0]).filter(has_text=COPIED[1])
    expect(card).to_have_count(1)
    expect(card.locator("li.article")).to_have_count(1)
    expect(card.locator(".spread")).to_contain_text("+1 outlet")


def test_an_arabic_title_is_laid_out_right_to_left_in_a_left_to_right_page(
    view: View, page: Page
) -> None:
    page.goto(view.url + "/?language=ar")
    title = page.locator("article.story a.title").first
    expect(title).to_be_visible()
    assert title.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"


def test_a_script_in_a_feed_title_shows_as_text_and_runs_nothing(view: View, page: Page) -> None:
    page.goto(view.url + "/")
    title = page.locator("article.story a.title", has_text="alert(1)")
    expect(title).to_have_text(HOSTILE_TITLE)
    assert page.locator("article.story script").count() == 0
    csp = page.request.get(view.url + "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_a_filter_narrows_the_stream_and_survives_a_reload(view: View, page: Page) -> None:
    page.goto(view.url + "/")
    page.locator("select[name=language]").select_option("fr")
    page.wait_for_url(view.url + "/?language=fr")
    expect(page.locator("article.story")).to_have_count(2)  # the demo's two French stories
    page.reload()
    expect(page.locator("article.story")).to_have_count(2)
    expect(page.locator("select[name=language]")).to_have_value("fr")
    expect(page.locator("article.story .tag.lang")).to_have_text(["fr", "fr"])


def _publish(view: View, title: str) -> None:
    """A processed record of a story of its own, from the live desk, on the output topic."""
    message = copy.deepcopy(example("processed.v1"))
    message["article_id"] = message["story"]["story_id"] = uuid.uuid4().hex
    message["title"], message["outlet"] = title, LIVE_DESK
    sink = KafkaSink.connect(view.kafka)
    processed = topics_of(view.settings).processed
    sink.send(OutRecord(processed, message["article_id"], json.dumps(message).encode()))
    sink.flush()
    sink.close()


def test_a_new_record_on_the_processed_topic_appears_live_and_pause_holds_it(
    view: View, page: Page
) -> None:
    page.goto(view.url + "/")
    expect(page.locator("#live")).to_have_text("live")
    _publish(view, "Night ferry added for the festival weekend")
    sent_at = time.monotonic()
    first = page.locator("article.story a.title").first
    expect(first).to_have_text("Night ferry added for the festival weekend", timeout=30_000)
    print(f"card shown {time.monotonic() - sent_at:.2f} s after its record was acknowledged")
    page.locator("#pause").click()
    expect(page.locator("#live")).to_have_text("paused")
    _publish(view, "Harbour lights switched on early")
    expect(page.locator("#live")).to_have_text("paused, 1 new", timeout=30_000)
    expect(first).to_have_text("Night ferry added for the festival weekend")
    page.locator("#pause").click()  # resume: what was held goes on top
    expect(first).to_have_text("Harbour lights switched on early")


def test_the_feeds_page_shows_a_broken_feed_with_its_error(view: View, page: Page) -> None:
    page.goto(view.url + "/feeds")
    row = page.locator("tr.feed", has_text=BROKEN_OUTLET)
    expect(row).to_have_class("feed failing", timeout=30_000)
    expect(page.locator("tr.error pre.last-error").first).to_contain_text("404")
    expect(page.locator("tr.feed")).to_have_count(5)


def test_the_story_page_explains_each_article(view: View, page: Page) -> None:
    page.goto(view.url + "/")
    card = page.locator("article.story", has_text=COPIED[0]).filter(has_text=COPIED[1])
    card.locator("a.title").click()
    expect(page.locator("ol.timeline > li")).to_have_count(2)
    expect(page.locator("ol.timeline")).to_contain_text("verdict   exact_duplicate")
    expect(page.locator("ol.timeline")).to_contain_text("verdict   original")


def test_the_pipeline_page_shows_the_stages_lag(view: View, page: Page) -> None:
    page.goto(view.url + "/pipeline")
    expect(page.locator("table.lag tbody tr").first).to_be_visible()
    expect(page.locator("table.lag")).to_contain_text("newsflow-tag-v1")
