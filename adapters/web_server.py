"""The newsroom view's HTTP server (Starlette on uvicorn, in a thread of its own): the pages
newsroom/ renders, the stream's server-sent events, the static files, a token on any address
but loopback, and headers that let a page run only its own files."""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

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
    """The story window shared by the reader thread and the server, and the log of which
    stories changed, so that each stream sends only what is new to it. A change is rendered
    once (its card), whatever the number of readers."""

    window: StoryWindow
    max_changes: int = 20_000
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changes: deque[tuple[int, str]] = field(default_factory=deque)
    _seq: int = 0
    _items: dict[tuple[str, int], str] = field(default_factory=dict)  # (story, version) -> item

    def add(self, message: dict[str, Any]) -> None:
        with self._lock:
            story = self.window.add(message)
            self._seq += 1
            self._changes.append((self._seq, story.story_id))
            while len(self._changes) > self.max_changes:
                self._changes.popleft()

    @property
    def seq(self) -> int:
        return self._seq

    def changed_since(self, seq: int) -> tuple[int, list[Story]]:
        """The stories changed after `seq` that the window still holds, the latest change
        last, and the sequence number to ask from next time."""
        with self._lock:
            ids = [story_id for n, story_id in self._changes if n > seq]
            latest = list(dict.fromkeys(reversed(ids)))[::-1]
            stories = [s for i in latest if (s := self.window.story(i)) is not None]
            return self._seq, stories

    def item(self, story: Story) -> str:
        key = (story.story_id, story.version)
        with self._lock:
            found = self._items.get(key)
        if found is None:
            found = event_item(story)
            with self._lock:
                if len(self._items) > 4 * self.max_changes:
                    self._items.clear()
                self._items[key] = found
        return found

    def render(self, page: Callable[[StoryWindow], T]) -> T:
        """`page` of the window, while no record is folded in."""
        with self._lock:
            return page(self.window)


@dataclass(frozen=True)
class WebSources:
    """What the pages read beyond the stream (each call may block on Redis or Kafka)."""

    feeds: Callable[[], Sequence[FeedRow]]
    pipeline: Callable[[], PipelineView]
    explain: Explain


def newsroom_app(live: LiveStories, sources: WebSources, token: str = "") -> Starlette:
    def stream(request: Request) -> Response:
        wanted = StreamFilter.from_query(request.query_params)
        return HTMLResponse(live.render(lambda w: stream_page(w, wanted)))

    def story(request: Request) -> Response:
        story_id = request.path_params["story_id"]
        found = live.render(lambda w: _story_html(w, story_id, sources.explain))
        if not found:
            return HTMLResponse(error_page(404, "No such story in the view's window."), 404)
        return HTMLResponse(found)

    def feeds(request: Request) -> Response:
        return HTMLResponse(feeds_page(sources.feeds()))

    def pipeline(request: Request) -> Response:
        return HTMLResponse(pipeline_page(sources.pipeline()))

    async def events(request: Request) -> Response:
        wanted = StreamFilter.from_query(request.query_params)
        return StreamingResponse(
            _event_stream(request, live, wanted),
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
    middleware = [Middleware(_Guard, token=token)]
    return Starlette(routes=routes, middleware=middleware)


def _story_html(window: StoryWindow, story_id: str, explain: Explain) -> str:
    found = window.story(story_id)
    return story_page(found, window, explain) if found is not None else ""


async def _event_stream(
    request: Request, live: LiveStories, wanted: StreamFilter
) -> AsyncIterator[str]:
    """One `stories` event a tick with the cards the reader's filter shows among the stories
    changed since its last; a comment now and then when nothing changes."""
    seq, quiet_since = live.seq, time.monotonic()
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        await asyncio.sleep(TICK_S)
        if live.seq == seq:
            if time.monotonic() - quiet_since >= HEARTBEAT_S:
                quiet_since = time.monotonic()
                yield ": quiet\n\n"
            continue
        seq, changed = live.changed_since(seq)
        items = [live.item(s) for s in changed if wanted.shows(s)]
        if items:
            quiet_since = time.monotonic()
            yield f"event: stories\ndata: {event_data(items)}\n\n"


class _Guard(BaseHTTPMiddleware):
    """The security headers on every answer; with a token, every request must carry it (a
    `token` query parameter once, kept in a cookie from then on, or a bearer header)."""

    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await self._checked(request, call_next)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def _checked(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not self.token:
            return await call_next(request)
        given = request.query_params.get("token")
        if given is not None and _same(given, self.token):
            # Out of the address (it would stay in the history and the logs), into a cookie.
            kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.replace_query_params(**dict(kept))
            answer = RedirectResponse(str(target), 303)
            answer.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return answer
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if _same(request.cookies.get(TOKEN_COOKIE, ""), self.token) or _same(bearer, self.token):
            return await call_next(request)
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
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
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
