"""The newsroom's server without a network: Starlette's test client and the live stream's
generator, on a story window filled by hand (sources are stand-ins)."""

import asyncio
import copy
import json
from collections.abc import AsyncGenerator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from starlette.testclient import TestClient

import adapters.web_server as web
from adapters.web_server import Broadcaster, LiveStories, WebSources, newsroom_app
from newsroom.pages import PipelineView
from newsroom.stream import StoryWindow, StreamFilter
from schemas.contracts import example

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` in a thread of its own: the suite may hold a running loop in the main
    thread (Playwright's sync API does, while its browser is up)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


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
    assert f'data-events="/events?language=en&amp;since={live.boot}-2"' in page


def _ticked(live: LiveStories, readers: list[tuple[StreamFilter, int]]) -> list[list[str]]:
    """What each reader (its filter, the change it is at) is sent by one tick."""

    async def tick() -> list[list[str]]:
        broadcaster = Broadcaster(live)
        joined = [broadcaster.join(wanted, seq) for wanted, seq in readers]
        await broadcaster.tick()
        return [[r.queue.get_nowait() for _ in range(r.queue.qsize())] for r in joined]

    return _run(tick())


def _stories_of(event: str) -> tuple[str, dict[str, Any]]:
    head, _, data = event.partition("data: ")
    return head, json.loads(data)


def test_a_tick_sends_each_reader_what_changed_since_its_change_and_its_filter_shows() -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    live.add(_message("s2", language="ar"))
    live.add(_message("b1", "s1"))
    english, arabic, caught_up = _ticked(
        live,
        [(StreamFilter(language="en"), 1), (StreamFilter(language="ar"), 0), (StreamFilter(), 3)],
    )
    head, data = _stories_of(english[0])
    assert head == f"id: {live.boot}-3\nevent: stories\n" and data["held"] == 2
    [item] = data["stories"]  # s1 changed (b1 joined it); s2 is not shown by the filter
    assert (item["id"], item["version"]) == ("s1", 3)
    assert [i["id"] for i in _stories_of(arabic[0])[1]["stories"]] == ["s2"]
    assert caught_up == []


@pytest.mark.parametrize("seq", [5, -1])  # ahead of the log; of another run of the server
def test_a_reader_the_log_cannot_serve_is_told_to_start_over(seq: int) -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    [sent] = _ticked(live, [(StreamFilter(), seq)])
    assert sent == [web.RELOAD]


def test_a_reader_too_far_behind_starts_over_instead_of_queueing_more() -> None:
    live = LiveStories(StoryWindow())

    async def overfill() -> list[str]:
        reader = Broadcaster(live).join(StreamFilter(), 0)
        for n in range(web.READER_QUEUE + 1):
            reader.hand(f"event {n}")
        return [reader.queue.get_nowait() for _ in range(reader.queue.qsize())]

    assert _run(overfill()) == [web.RELOAD]


@pytest.mark.parametrize(
    ("header", "query", "since"),
    [
        ("{boot}-1", "{boot}-0", 1),  # a reconnecting browser: its last event wins
        ("", "{boot}-0", 0),  # a fresh page: where it was rendered
        ("junk", "{boot}-1", 1),  # a header that is no event id is ignored
        ("", "²", 2),  # nor is a query that is not one: the stream starts now
        ("", "{boot}-" + "9" * 5000, 2),
        ("", "{boot}-²", 2),
        ("0badf00d-1", "{boot}-0", -1),  # another run of the server: start over
    ],
)
def test_a_stream_starts_from_the_change_its_reader_names(
    header: str, query: str, since: int
) -> None:
    live = LiveStories(StoryWindow())
    live.add(_message("s1"))
    live.add(_message("s2"))
    boot = live.boot
    assert web.stream_start(live, header.format(boot=boot), query.format(boot=boot)) == since


def test_a_quiet_stream_sends_its_place_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "HEARTBEAT_S", 0.0)
    live = LiveStories(StoryWindow())

    async def first_chunks() -> list[str]:
        broadcaster = Broadcaster(live)
        stream = web._event_stream(broadcaster, StreamFilter(), 4)
        chunks = [await anext(stream) for _ in range(3)]
        assert len(broadcaster.readers) == 1
        await stream.aclose()
        assert not broadcaster.readers  # a stream that ends leaves
        return chunks

    quiet = f"id: {live.boot}-4\n: quiet\n\n"
    assert _run(first_chunks()) == ["retry: 2000\n\n", quiet, quiet]


def test_when_the_server_stops_every_open_stream_ends() -> None:
    live = LiveStories(StoryWindow())

    async def rest_after_close() -> list[list[str]]:
        broadcaster = Broadcaster(live)
        streams = [web._event_stream(broadcaster, StreamFilter(), 0) for _ in range(2)]
        for stream in streams:
            await anext(stream)  # open: the retry line sent, waiting for events
        waiting = [asyncio.ensure_future(_rest(stream)) for stream in streams]
        await asyncio.sleep(0)
        live.closing.set()
        await broadcaster.run()  # ends at once, handing each reader the end
        return list(await asyncio.gather(*waiting))

    assert _run(rest_after_close()) == [[], []]
    assert live.streams_ended.is_set()


async def _rest(stream: AsyncGenerator[str, None]) -> list[str]:
    return [chunk async for chunk in stream]
