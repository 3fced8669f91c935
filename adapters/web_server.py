"""The newsroom view's HTTP server (Starlette on uvicorn, in a thread of its own): the pages
newsroom/ renders, the stream's server-sent events, the static files, a token on any address
but loopback, and headers that let a page run only its own files."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import newsroom
from newsroom.pages import (
    Explain,
    FeedRow,
    PipelineView,
    error_page,
    event_data,
    event_item,
    feeds_page,
    pipeline_page,
    story_page,
    stream_page,
)
from newsroom.stream import Story, StoryWindow, StreamFilter

logger = logging.getLogger(__name__)
T = TypeVar("T")

STATIC_DIR = Path(newsroom.__file__).parent / "static"
TICK_S = 0.5  # how often a reader's stream is sent what changed: one event a tick at most
HEARTBEAT_S = 15.0  # a comment line keeps proxies from closing a quiet stream
TOKEN_COOKIE = "newsflow_token"
# The pages load their own script and stylesheet only; no inline script or style, no frame,
# no form to elsewhere (titles and errors come from feeds nobody here controls).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass
class LiveStories:
    """The story window, with its log of which stories changed, shared by the thread that
    follows the topic and the server: each reader's stream sends only what is new to it. A
    change is rendered once (its card), whatever the number of readers."""

    window: StoryWindow
    closing: threading.Event = field(default_factory=threading.Event)  # the server stops
    streams_ended: threading.Event = field(default_factory=threading.Event)
    # Change numbers start again with each run of the server: an event id carries the run's
    # own mark, so that a browser resuming across a restart starts over.
    boot: str = field(default_factory=lambda: secrets.token_hex(4))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _items: dict[tuple[str, int], str] = field(default_factory=dict)  # (story, version) -> item

    def add(self, message: Mapping[str, Any]) -> None:
        with self._lock:
            self.window.add(message)

    @property
    def seq(self) -> int:
        return self.window.changes.seq

    def changed_since(self, seq: int) -> tuple[int, int, list[tuple[Story, str]]] | None:
        """The stories changed after `seq` that the window still holds, each with its item,
        the latest change last; the number to ask from next time and how many stories the
        window holds. None: start over (`seq` is older than the changes kept, or from
        another run of the server)."""
        with self._lock:
            stories = self.window.changed_since(seq)
            if stories is None:
                return None
            now, held = self.window.changes.seq, len(self.window)
        return now, held, [(s, self._item(s)) for s in stories]

    def _item(self, story: Story) -> str:
        # A Story never changes once made: rendering it outside the lock is safe.
        key = (story.story_id, story.version)
        found = self._items.get(key)
        if found is None:
            found = self._items[key] = event_item(story)
            if len(self._items) > 2 * self.window.changes.capacity:
                self._items.clear()
        return found

    def render(self, page: Callable[[StoryWindow, str], T]) -> T:
        """`page` of the window and of the id of its last change, while no record is folded
        in."""
        with self._lock:
            return page(self.window, self.event_id(self.window.changes.seq))

    def event_id(self, seq: int) -> str:
        return f"{self.boot}-{seq}"

    def change_number(self, event_id: str) -> int | None:
        """The change an event id names; -1 for one of another run of the server (the
        reader starts over); None when it is not an event id at all."""
        boot, _, seq = event_id.partition("-")
        if not (seq.isascii() and seq.isdigit() and len(seq) <= 18 and len(boot) == 8):
            return None
        return int(seq) if boot == self.boot else -1


@dataclass(frozen=True)
class WebSources:
    """What the pages read beyond the stream (each call may block on Redis or Kafka)."""

    feeds: Callable[[], Sequence[FeedRow]]
    pipeline: Callable[[], PipelineView]
    explain: Explain


def newsroom_app(live: LiveStories, sources: WebSources, token: str = "") -> Starlette:
    broadcaster = Broadcaster(live)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(broadcaster.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def stream(request: Request) -> Response:
        wanted = StreamFilter.from_query(request.query_params)
        return HTMLResponse(live.render(lambda w, since: stream_page(w, wanted, since)))

    def story(request: Request) -> Response:
        story_id = request.path_params["story_id"]
        found = live.render(lambda w, _: _story_html(w, story_id, sources.explain))
        if not found:
            return HTMLResponse(error_page(404, "No such story in the view's window."), 404)
        return HTMLResponse(found)

    def feeds(request: Request) -> Response:
        return _from_sources("feeds", lambda: feeds_page(sources.feeds()))

    def pipeline(request: Request) -> Response:
        return _from_sources("pipeline", lambda: pipeline_page(sources.pipeline()))

    async def events(request: Request) -> Response:
        wanted = StreamFilter.from_query(request.query_params)
        since = stream_start(
            live, request.headers.get("last-event-id", ""), request.query_params.get("since", "")
        )
        return StreamingResponse(
            _event_stream(broadcaster, wanted, since),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    routes = [
        Route("/", stream),
        Route("/events", events),
        Route("/story/{story_id:str}", story),
        Route("/feeds", feeds),
        Route("/pipeline", pipeline),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(_Guard, token=token)], lifespan=lifespan)


def stream_start(live: LiveStories, last_event_id: str, since: str) -> int:
    """The change a live stream starts after: a reconnecting browser's last event, or else
    the change its page was rendered at (nothing between the two is missed), or else now.
    What is not an event id is ignored."""
    found = [n for n in map(live.change_number, (last_event_id, since)) if n is not None]
    return found[0] if found else live.seq


def _from_sources(page: str, render: Callable[[], str]) -> Response:
    """A page read from Redis or Kafka; either away gives a page that says so, not a 500."""
    try:
        return HTMLResponse(render())
    except Exception as exc:  # the boundary: whatever the clients raise is shown and logged
        logger.warning("newsroom page could not be read page=%s error=%r", page, exc)
        return HTMLResponse(error_page(503, f"The {page} could not be read: {exc}"), 503)


def _story_html(window: StoryWindow, story_id: str, explain: Explain) -> str:
    found = window.story(story_id)
    return story_page(found, window, explain) if found is not None else ""


RELOAD = "event: reload\ndata: {}\n\n"  # the page starts over
READER_QUEUE = 60  # events a reader may be behind (half a minute of ticks) before it reloads
CLOSED = ""  # handed to each reader when the server stops: its stream ends, nothing is sent


@dataclass(eq=False)
class _Reader:
    wanted: StreamFilter
    seq: int  # the last change it was sent (or did not need)
    queue: asyncio.Queue[str] = field(default_factory=lambda: asyncio.Queue(READER_QUEUE))

    def hand(self, event: str) -> None:
        """Queued; a reader so far behind that its queue is full starts over instead."""
        if self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
            event = RELOAD
        self.queue.put_nowait(event)


@dataclass
class Broadcaster:
    """Once a tick, what changed goes to every reader whose filter shows it: the changes
    are read once per tick (in a worker thread, not on the loop) for all the readers that
    are at the same change, and filtered once per distinct filter."""

    live: LiveStories
    readers: set[_Reader] = field(default_factory=set)

    def join(self, wanted: StreamFilter, seq: int) -> _Reader:
        reader = _Reader(wanted, seq)
        self.readers.add(reader)
        return reader

    def leave(self, reader: _Reader) -> None:
        self.readers.discard(reader)

    async def run(self) -> None:
        while not self.live.closing.is_set():
            await asyncio.sleep(TICK_S)
            try:
                await self.tick()
            except Exception:  # one tick gone wrong must not end every live stream
                logger.exception("newsroom live stream tick failed")
        # Each open stream ends now, so that the server's shutdown finds none left open.
        for reader in self.readers:
            reader.hand(CLOSED)
        self.live.streams_ended.set()

    async def tick(self) -> None:
        at: dict[int, list[_Reader]] = {}
        for reader in self.readers:
            if reader.seq != self.live.seq:
                at.setdefault(reader.seq, []).append(reader)
        for seq, readers in at.items():
            found = await run_in_threadpool(self.live.changed_since, seq)
            if found is None:
                for reader in readers:
                    reader.hand(RELOAD)
                continue
            now, held, changed = found
            events: dict[StreamFilter, str | None] = {}
            for reader in readers:
                if reader.wanted not in events:
                    items = [item for story, item in changed if reader.wanted.shows(story)]
                    data = event_data(items, held)
                    event_id = self.live.event_id(now)
                    events[reader.wanted] = (
                        f"id: {event_id}\nevent: stories\ndata: {data}\n\n" if items else None
                    )
                reader.seq = now
                if (event := events[reader.wanted]) is not None:
                    reader.hand(event)


async def _event_stream(
    broadcaster: Broadcaster, wanted: StreamFilter, since: int
) -> AsyncGenerator[str, None]:
    """A reader's events as the broadcaster hands them over, from change `since` on; when
    none comes for a while, the last change's id and a comment, so that a proxy keeps the
    stream open and a reconnecting browser resumes where it was. Ends when the page must
    start over or the server stops (a reader gone is seen by Starlette, which ends the
    response: the reader joins inside the generator, so it always leaves)."""
    reader = broadcaster.join(wanted, since)
    try:
        yield "retry: 2000\n\n"
        while not broadcaster.live.closing.is_set():  # a backstop: CLOSED ends it first
            try:
                event = await asyncio.wait_for(reader.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                event = f"id: {broadcaster.live.event_id(reader.seq)}\n: quiet\n\n"
            if event == CLOSED:
                return
            yield event
            if event == RELOAD:
                return
    finally:
        broadcaster.leave(reader)


class _Guard:
    """The security headers on every answer (an ASGI middleware: a live stream passes
    through it unbuffered); with a token, every request must carry it: a `token` query
    parameter once, kept in a cookie from then on, or a bearer header."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        refused = self._refusal(Request(scope))
        if refused is None:
            await self.app(scope, receive, send_guarded)
        else:
            await refused(scope, receive, send_guarded)

    def _refusal(self, request: Request) -> Response | None:
        if not self.token:
            return None
        given = request.query_params.get("token")
        if given is not None and _same(given, self.token):
            # Out of the address (it would stay in the history and the logs), into a cookie;
            # Lax, so that a link to the view opened from elsewhere carries it.
            kept = urlencode(
                [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            )
            answer = RedirectResponse(request.url.path + (f"?{kept}" if kept else ""), 303)
            answer.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="lax")
            return answer
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if _same(request.cookies.get(TOKEN_COOKIE, ""), self.token) or _same(bearer, self.token):
            return None
        return HTMLResponse(error_page(401, "This view needs its token (?token=...)."), 401)


def _same(given: str, token: str) -> bool:
    # Constant time: the time taken says nothing of how much of the token was right.
    return hmac.compare_digest(given.encode(), token.encode())


@dataclass
class WebServer:
    """uvicorn in a thread; `stop` ends it and waits."""

    server: uvicorn.Server
    thread: threading.Thread

    @classmethod
    def start(cls, app: Starlette, host: str, port: int) -> WebServer:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            # Live streams end within a tick of `closing`; one still open after this is cut.
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="newsroom-web", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.started:
            raise OSError(f"the newsroom view could not listen on {host}:{port}")
        return cls(server, thread)

    @property
    def port(self) -> int:
        sockets = [s for srv in self.server.servers for s in srv.sockets]
        return int(sockets[0].getsockname()[1]) if sockets else self.server.config.port

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
