"""The newsroom's server without a network: Starlette's test client and the live stream's
generator, on a story window filled by hand (sources are stand-ins)."""

import asyncio
import copy
import json
from typing import Any

import pytest
from starlette.testclient import TestClient

import adapters.web_server as web
from adapters.web_server import LiveStories, WebSources, newsroom_app
from newsroom.pages import PipelineView
from newsroom.stream import StoryWindow, StreamFilter
from schemas.contracts import example


def _message(article_id: str, story_id: str | None = None, language: str = "en") -> dict[str, Any]:
    message = copy.deepcopy(example("processed.v1"))
    message["article_id"] = article_id
    message["story"]["story_id"] = story_id or article_id
    message["tags"]["language"] = language
    return message


def _failing() -> PipelineView:
    raise ConnectionError("broker away")


def _client(live: LiveStories, token: str = "") -> TestClient:
    sources = WebSources(feeds=lambda: [], pipeline=_failing, explain=lambda a, m: ["why"])
    return TestClient(newsroom_app(live, sources, token), follow_redirects=False)


def test_every_answer_carries_the_security_headers_and_pages_render() -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    client = _client(live)
    for path, status in [
        ("/", 200),
        ("/story/s1", 200),
        ("/story/nope", 404),
        ("/feeds", 200),
        ("/static/newsroom.js", 200),
    ]:
        answer = client.get(path)
        assert answer.status_code == status, path
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_source_that_cannot_be_read_gives_a_page_that_says_so() -> None:
    answer = _client(LiveStories(StoryWindow())).get("/pipeline")
    assert answer.status_code == 503 and "broker away" in answer.text
    assert "content-security-policy" in answer.headers


@pytest.mark.parametrize(
    ("how", "status"),
    [
        ({}, 401),
        ({"headers": {"Authorization": "Bearer s3cret"}}, 200),
        ({"headers": {"Authorization": "Bearer wrong"}}, 401),
        ({"cookies": {"newsflow_token": "s3cret"}}, 200),
        ({"params": {"token": "wrong"}}, 401),
    ],
)
def test_with_a_token_every_request_must_carry_it(how: dict[str, Any], status: int) -> None:
    client = _client(LiveStories(StoryWindow()), token="s3cret")
    cookies = how.pop("cookies", None)
    if cookies:
        client.cookies.update(cookies)
    assert client.get("/", **how).status_code == status


def test_a_token_in_the_address_moves_into_a_cookie_and_out_of_the_address() -> None:
    client = _client(LiveStories(StoryWindow()), token="s3cret")
    answer = client.get("/", params=[("language", "ar"), ("token", "s3cret"), ("self", "1")])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?language=ar&self=1"
    cookie = answer.headers["set-cookie"]
    assert "newsflow_token=s3cret" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/?language=ar").status_code == 200  # the cookie now


def test_the_stream_page_gives_its_live_stream_the_change_it_was_rendered_at() -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    live.add(_message("s2"))
    page = _client(live).get("/?language=en").text
    assert 'data-events="/events?language=en&amp;since=2"' in page


class _Reader:
    """A request whose reader goes away after `ticks` ticks."""

    def __init__(self, ticks: int) -> None:
        self.ticks = ticks

    async def is_disconnected(self) -> bool:
        self.ticks -= 1
        return self.ticks < 0


def _events(live: LiveStories, wanted: StreamFilter, since: int, ticks: int) -> list[str]:
    async def collect() -> list[str]:
        stream = web._event_stream(_Reader(ticks), live, wanted, since)  # type: ignore[arg-type]
        return [chunk async for chunk in stream]

    return asyncio.run(collect())


def test_the_live_stream_sends_what_changed_since_and_what_the_filter_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web, "TICK_S", 0.0)
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    live.add(_message("s2", language="ar"))
    live.add(_message("b1", "s1"))
    chunks = _events(live, StreamFilter(language="en"), since=1, ticks=1)
    assert chunks[0] == "retry: 2000\n\n"
    head, _, data = chunks[1].partition("data: ")
    assert head == "id: 3\nevent: stories\n"
    [item] = json.loads(data)  # s1 changed (b1 joined it); s2 is not shown by the filter
    assert (item["id"], item["version"]) == ("s1", 2)


def test_a_reader_behind_the_changes_kept_is_told_to_start_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(web, "TICK_S", 0.0)
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    chunks = _events(live, StreamFilter(), since=5, ticks=3)  # a number from before a restart
    assert chunks[-1] == "event: reload\ndata: {}\n\n"


def test_a_quiet_stream_still_sends_its_place_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "TICK_S", 0.0)
    monkeypatch.setattr(web, "HEARTBEAT_S", 0.0)
    live = LiveStories(StoryWindow())
    live.add(_message("s1", language="ar"))
    chunks = _events(live, StreamFilter(language="en"), since=0, ticks=2)
    assert chunks[1:] == ["id: 1\n: quiet\n\n", "id: 1\n: quiet\n\n"]
