"""A local HTTP server that renders a set of stories as RSS feeds and article pages.

`newsflow run --demo` serves the bundled demo (demo/stories.toml) with it, so the pipeline
runs with no internet; the end-to-end tests serve their own stories. It answers conditional
GETs with 304 like a well-behaved news site, so the poller's validators are exercised too.
A held-back site releases its stories over time, and its feeds list only their newest
stories, each outlet's feed paged as real ones are (or not at all): the poller meets the
bursts and the windows of real feeds.
"""

from __future__ import annotations

import hashlib
import html
import threading
import time
import tomllib
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from schemas.timestamps import parse_iso


@dataclass(frozen=True)
class Outlet:
    slug: str
    name: str
    language: str


@dataclass(frozen=True)
class Story:
    outlet: str
    slug: str
    title: str
    published: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class StorySet:
    outlets: tuple[Outlet, ...]
    stories: tuple[Story, ...]

    @classmethod
    def from_toml(cls, text: str) -> StorySet:
        data = tomllib.loads(text)
        outlets = tuple(Outlet(o["slug"], o["name"], o["language"]) for o in data["outlet"])
        return cls(outlets, tuple(_story(s) for s in data["story"]))

    def of(self, outlet: str) -> list[Story]:
        return [s for s in self.stories if s.outlet == outlet]


def _story(raw: dict[str, Any]) -> Story:
    paragraphs = tuple(raw["paragraphs"])
    if raw.get("print_body_twice"):
        # The CMS fault behind the project's seed case: everything after the lead, twice.
        paragraphs = paragraphs + paragraphs[1:]
    return Story(raw["outlet"], raw["slug"], raw["title"], raw["published"], paragraphs)


def render_page(outlet: Outlet, story: Story) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in story.paragraphs)
    return f"""<!DOCTYPE html>
<html lang="{outlet.language}"><head><meta charset="utf-8">
<title>{html.escape(story.title)} | {html.escape(outlet.name)}</title>
<meta property="og:site_name" content="{html.escape(outlet.name)}">
<meta property="article:published_time" content="{story.published}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
</header>
<main><article><h1>{html.escape(story.title)}</h1>
<p class="byline">{html.escape(outlet.name)} desk</p>
{body}
</article>
<aside><h2>Most read</h2><ul><li><a href="/a">Weather for the week</a></li>
<li><a href="/b">Letters to the editor</a></li></ul></aside></main>
<footer><p>© {html.escape(outlet.name)}. All rights reserved.</p></footer>
</body></html>
"""


Paging = Literal["none", "rfc5005", "wordpress"]
WORDPRESS_GENERATOR = "<generator>https://wordpress.org/?v=6.4.2</generator>"


@dataclass(frozen=True)
class FeedStyle:
    """How a held-back outlet's feed lists its stories: its newest `window` (None: the
    release's), and its older ones on pages: none, RFC 5005 (a rel="next" link to ?page=N),
    or WordPress (?paged=N, a 404 past the last page, the generator naming WordPress)."""

    window: int | None = None
    paging: Paging = "none"


def render_feed(
    outlet: Outlet, stories: list[Story], base_url: str, channel_extra: str = ""
) -> str:
    items = []
    for story in stories:
        link = f"{base_url}/{outlet.slug}/{story.slug}.html"
        when = format_datetime(parse_iso(story.published))
        lead = html.escape(story.paragraphs[0]) if story.paragraphs else ""
        items.append(
            f"<item><title>{html.escape(story.title)}</title><link>{link}?utm_source=rss</link>"
            f'<guid isPermaLink="false">{outlet.slug}-{story.slug}</guid>'
            f"<pubDate>{when}</pubDate><description>{lead}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>{html.escape(outlet.name)}</title><link>{base_url}/{outlet.slug}/</link>"
        f"<language>{outlet.language}</language>{channel_extra}{''.join(items)}"
        "</channel></rss>\n"
    )


@dataclass
class Release:
    """Which stories a held-back site shows: none until `release()`, then all at once
    (per_s None) or `per_s` a second in the story set's order, as a newsroom publishes.
    Feeds show the newest `window` released stories of their outlet."""

    per_s: float | None = None
    started_at: float | None = None  # time.monotonic() of release(); None: held back
    window: int = 100
    # When each story comes out, seconds after release(), by (outlet, slug): a timeline
    # with bursts and quiet spells. None: in the story set's order, as per_s says.
    at_s: dict[tuple[str, str], float] | None = None

    def count(self, now: float, total: int) -> int:
        if self.started_at is None:
            return 0
        if self.per_s is None:
            return total
        return min(total, int((now - self.started_at) * self.per_s) + 1)

    def is_out(self, story: Story, order: int, now: float, total: int) -> bool:
        if self.at_s is None or self.started_at is None:
            return order < self.count(now, total)
        return self.at_s[(story.outlet, story.slug)] <= now - self.started_at


@dataclass
class ReplaySite:
    """Path -> (content type, body), rendered once; feeds of a held-back site (`release`
    given) are rendered per request from the stories released so far."""

    stories: StorySet
    base_url: str
    release: Release | None = None
    styles: dict[str, FeedStyle] = field(default_factory=dict)  # by outlet slug
    routes: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)  # GETs by path and query
    _counting: threading.Lock = field(default_factory=threading.Lock)  # one per server thread
    _order: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._order = {(s.outlet, s.slug): i for i, s in enumerate(self.stories.stories)}
        for outlet in self.stories.outlets:
            own = self.stories.of(outlet.slug)
            feed = render_feed(outlet, own, self.base_url).encode("utf-8")
            self.routes[f"/feeds/{outlet.slug}.xml"] = ("application/rss+xml", feed)
            for story in own:
                page = render_page(outlet, story).encode("utf-8")
                self.routes[f"/{outlet.slug}/{story.slug}.html"] = (
                    "text/html; charset=utf-8",
                    page,
                )

    def start_release(self, per_s: float | None = None) -> None:
        if self.release is not None:
            self.release.per_s, self.release.started_at = per_s, time.monotonic()

    def released_feed(self, slug: str, release: Release, page: int = 1) -> bytes | None:
        """The feed's page `page` of the stories out now (1: the feed itself); None for a
        page past the last of a feed paged WordPress's way (its 404)."""
        outlet = next(o for o in self.stories.outlets if o.slug == slug)
        now, total = time.monotonic(), len(self.stories.stories)
        own = [
            s
            for s in self.stories.of(slug)
            if release.is_out(s, self._order[(s.outlet, s.slug)], now, total)
        ]
        style = self.styles.get(slug, FeedStyle())
        window = style.window or release.window
        end = len(own) - (page - 1) * window
        listed = own[max(0, end - window) : max(0, end)]
        if page > 1 and (style.paging == "none" or not listed):
            return None
        extra = ""
        if style.paging == "wordpress":
            extra = WORDPRESS_GENERATOR
        elif style.paging == "rfc5005" and end > window:
            extra = (
                f'<atom:link rel="next" href="{self.base_url}/feeds/{slug}.xml?page={page + 1}"/>'
            )
        return render_feed(outlet, listed, self.base_url, extra).encode("utf-8")

    def body_of(self, target: str) -> tuple[str, bytes] | None:
        """What a GET of `target` (a path, perhaps with a query) answers; None: a 404."""
        with self._counting:
            self.requests[target] = self.requests.get(target, 0) + 1
        parts = urlsplit(target)
        if parts.path not in self.routes:
            return None
        content_type, body = self.routes[parts.path]
        if self.release is not None and parts.path.startswith("/feeds/"):
            slug = parts.path.removeprefix("/feeds/").removesuffix(".xml")
            query = parse_qs(parts.query)
            number = (query.get("page") or query.get("paged") or ["1"])[0]
            page = int(number) if number.isdigit() and int(number) > 0 else 1
            released = self.released_feed(slug, self.release, page)
            if released is None:
                return None
            body = released
        return content_type, body

    def feed_urls(self) -> list[tuple[Outlet, str]]:
        return [(o, f"{self.base_url}/feeds/{o.slug}.xml") for o in self.stories.outlets]

    def feeds_toml(self) -> str:
        lines = []
        for outlet, url in self.feed_urls():
            lines += [
                "[[feed]]",
                f'url = "{url}"',
                f'outlet = "{outlet.name}"',
                f'language = "{outlet.language}"',
                "",
            ]
        return "\n".join(lines)


def _handler_for(site: ReplaySite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as news sites serve: a connection per page would charge the fetcher a
        # TCP handshake no real outlet makes it pay. Without Nagle's algorithm, or the body
        # written after the headers waits for the client's delayed ACK (40 ms on Linux).
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            found = site.body_of(self.path)
            if found is None:
                self.send_error(404)
                return
            content_type, body = found
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the poller logs every fetch

    return Handler


@dataclass
class ReplayServer:
    site: ReplaySite
    server: ThreadingHTTPServer
    thread: threading.Thread

    @classmethod
    def start(
        cls,
        stories: StorySet,
        port: int = 0,
        release: Release | None = None,
        styles: dict[str, FeedStyle] | None = None,
    ) -> ReplayServer:
        server = ThreadingHTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
        address = f"http://127.0.0.1:{server.server_address[1]}"
        site = ReplaySite(stories, address, release, styles or {})
        server.RequestHandlerClass = _handler_for(site)
        thread = threading.Thread(target=server.serve_forever, name="replay-server", daemon=True)
        thread.start()
        return cls(site, server, thread)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def load_story_set(path: Path) -> StorySet:
    return StorySet.from_toml(path.read_text(encoding="utf-8"))
