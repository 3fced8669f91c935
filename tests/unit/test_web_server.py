"""The newsroom's server without a network: Starlette's test client and the live stream's
generator, on a story window filled by hand (sources are stand-ins)."""

import asyncio
import copy
import json
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from starlette.testclient import TestClient

import adapters.web_server as web
from adapters.web_server import Broadcaster, LiveStories, WebSources, newsroom_app
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


def _ticked(live: LiveStories, readers: list[tuple[StreamFilter, int]]) -> list[list[str]]:
    """What each reader (its filter, the change it is at) is sent by one tick."""

    async def tick() -> list[list[str]]:
        broadcaster = Broadcaster(live)
        joined = [broadcaster.join(wanted, seq) for wanted, seq in readers]
        await broadcaster.tick()
        return [[r.queue.get_nowait() for _ in range(r.queue.qsize())] for r in joined]

    return asyncio.run(tick())


def test_a_tick_sends_each_reader_what_changed_since_its_change_and_its_filter_shows() -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    live.add(_message("s2", language="ar"))
    live.add(_message("b1", "s1"))
    english, arabic, caught_up = _ticked(
        live,
        [(StreamFilter(language="en"), 1), (StreamFilter(language="ar"), 0), (StreamFilter(), 3)],
    )
    head, _, data = english[0].partition("data: ")
    assert head == "id: 3\nevent: stories\n"
    [item] = json.loads(data)  # s1 changed (b1 joined it); s2 is not shown by the filter
    assert (item["id"], item["version"]) == ("s1", 2)
    assert [i["id"] for i in json.loads(arabic[0].partition("data: ")[2])] == ["s2"]
    assert caught_up == []


def test_a_reader_behind_the_changes_kept_is_told_to_start_over() -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    [sent] = _ticked(live, [(StreamFilter(), 5)])  # a number from before a restart
    assert sent == [web.RELOAD]


def test_a_quiet_stream_sends_its_place_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "HEARTBEAT_S", 0.0)
    live = LiveStories(StoryWindow())

    async def first_chunks() -> list[str]:
        broadcaster = Broadcaster(live)
        reader = broadcaster.join(StreamFilter(), 4)
        stream = web._event_stream(broadcaster, reader)
        chunks = [await anext(stream) for _ in range(3)]
        await stream.aclose()
        assert not broadcaster.readers  # a stream that ends leaves
        return chunks

    assert asyncio.run(first_chunks()) == [
        "retry: 2000\n\n",
        "id: 4\n: quiet\n\n",
        "id: 4\n: quiet\n\n",
    ]


def test_when_the_server_stops_every_open_stream_ends() -> None:
    live = LiveStories(StoryWindow())

    async def rest_after_close() -> list[list[str]]:
        broadcaster = Broadcaster(live)
        streams = [
            web._event_stream(broadcaster, broadcaster.join(StreamFilter(), 0)) for _ in range(2)
        ]
        for stream in streams:
            await anext(stream)  # open: the retry line sent, waiting for events
        waiting = [asyncio.ensure_future(_rest(stream)) for stream in streams]
        await asyncio.sleep(0)
        live.closing.set()
        await broadcaster.run()  # ends at once, handing each reader the end
        return list(await asyncio.gather(*waiting))

    assert asyncio.run(rest_after_close()) == [[], []]


async def _rest(stream: AsyncGenerator[str, None]) -> list[str]:
    return [chunk async for chunk in stream]
