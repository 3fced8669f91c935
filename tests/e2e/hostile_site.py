"""A local site of hostile feeds and pages, served beside the replay server's good ones:
a page of five megabytes, an entry of two, a link that redirects to a port that cannot
exist, an Arabic feed in windows-1256 that does not say so, entries without a usable link.

Until `arm()` its feeds are valid and empty, so that the pipeline can settle on good input
first (`newsflow run` reads its feeds file once, at start): then they serve the hostile
content. Each hostile feed also carries ordinary articles, the neighbours of the bad entry,
which must go through once like any other.
"""

from __future__ import annotations

import hashlib
import html
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ingest.canonical_url import article_id, canonical_url
from services.replay_server import Outlet, Story, render_page
from tests.synthetic import WORDS, sentence

MIB = 1024 * 1024
HUGE_PAGE_BYTES = 5 * MIB
BIG_SUMMARY_BYTES = 2 * MIB  # of UTF-8, as HUGE_PAGE_BYTES
# Port 99999 is outside TCP's range (RFC 793: 16 bits): no fetch can follow this redirect.
UNREACHABLE_TARGET = "http://127.0.0.1:99999/x"
PUBLISHED = "Sat, 28 Nov 2026 07:30:00 GMT"
# An empty feed lengthens its polling interval by a quarter each poll (ingest/schedule.py):
# bounded, so that the armed content is read within seconds.
HOSTILE_MAX_INTERVAL_S = 4
ARABIC_WORDS = tuple(w for w in WORDS if not w.isascii())
ARABIC_TITLES = (
    "الحكومة تعلن خطة جديدة لدعم المزارعين في الجنوب",
    "ارتفاع أسعار النفط بعد اجتماع المنتجين في العاصمة",
    "افتتاح معرض الكتاب الدولي بمشاركة مئات الناشرين",
)


@dataclass(frozen=True)
class FeedText:
    """An entry whose page cannot be had: it must go through with the feed's own text."""

    title: str
    text: str


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str | None = None
    body: bytes = b""
    location: str | None = None


@dataclass(frozen=True)
class HostileFeed:
    slug: str
    outlet: str
    language: str
    reply: Reply  # what the feed serves once armed


@dataclass
class HostileContent:
    """Every hostile feed and page of a site at `base_url`, and what each should become."""

    base_url: str
    feeds: list[HostileFeed] = field(default_factory=list)
    routes: dict[str, Reply] = field(default_factory=dict)
    neighbours: list[str] = field(default_factory=list)  # article ids of the good neighbours
    huge_page: str = ""  # article id of the 5 MB page
    big_entry: str = ""  # article id of the entry with 2 MB of text
    big_entry_title: str = ""
    arabic: dict[str, str] = field(default_factory=dict)  # article id -> title as written
    by_feed_text: list[FeedText] = field(default_factory=list)
    skipped_title: str = ""  # the entry with neither link nor text

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def page(self, path: str, body: bytes) -> str:
        """Serve an HTML page at `path`; its URL."""
        self.routes[path] = Reply(200, "text/html; charset=utf-8", body)
        return self.url(path)

    def neighbour(self, feed: str, n: int) -> str:
        """An ordinary article of a hostile feed: its RSS item (its page served)."""
        rng = random.Random(1000 + n)
        title = f"Neighbour {n} of the {feed} feed"
        paragraphs = tuple(f"Neighbour {n}-{k}: {sentence(rng, 18, 30)}." for k in range(4))
        outlet = Outlet(feed, f"Hostile {feed}", "en")
        story = Story(feed, f"n{n}", title, "2026-11-28T07:30:00Z", paragraphs)
        link = self.page(f"/{feed}/n{n}.html", render_page(outlet, story).encode("utf-8"))
        self.neighbours.append(article_id(canonical_url(link)))
        return rss_item(title, link, f"{feed}-n{n}", description=paragraphs[0])


def rss_item(
    title: str,
    link: str | None,
    guid: str,
    *,
    description: str | None = None,
    content: str | None = None,
) -> str:
    """One RSS 2.0 item. The guid is not a permalink, so that a feed reader never takes it
    for the link the item lacks."""
    parts = [f"<title>{html.escape(title)}</title>"]
    if link is not None:
        parts.append(f"<link>{html.escape(link)}</link>")
    parts.append(f'<guid isPermaLink="false">{html.escape(guid)}</guid>')
    parts.append(f"<pubDate>{PUBLISHED}</pubDate>")
    if description is not None:
        parts.append(f"<description>{html.escape(description)}</description>")
    if content is not None:
        parts.append(f"<content:encoded>{html.escape(content)}</content:encoded>")
    return f"<item>{''.join(parts)}</item>"


def rss(title: str, language: str, items: list[str], *, declaration: str) -> str:
    return (
        f'{declaration}\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{html.escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<language>{language}</language>{''.join(items)}</channel></rss>\n"
    )


def utf8_feed(title: str, language: str, items: list[str]) -> Reply:
    body = rss(title, language, items, declaration='<?xml version="1.0" encoding="utf-8"?>')
    return Reply(200, "application/rss+xml; charset=utf-8", body.encode("utf-8"))


def huge_page_html(rng: random.Random) -> bytes:
    """A news page of real-looking paragraphs, HUGE_PAGE_BYTES long: all of it article text."""
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>The longest report ever filed</title></head><body><main><article>"
        "<h1>The longest report ever filed</h1>"
    )
    tail = "</article></main></body></html>\n"
    paragraphs: list[str] = []
    size = len(head) + len(tail)
    while size < HUGE_PAGE_BYTES:
        paragraph = f"<p>Section {len(paragraphs)}: {sentence(rng, 40, 80)}.</p>\n"
        paragraphs.append(paragraph)
        size += len(paragraph.encode("utf-8"))
    return (head + "".join(paragraphs) + tail).encode("utf-8")


def arabic_page_html(paragraphs: list[str]) -> bytes:
    """An Arabic article page, UTF-8 and saying so, with no <title> or <h1>: the article's
    title then comes from the feed (a page's own title would take its place), so that how
    the feed was decoded shows on the processed topic."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8"></head>'
        f"<body><main><article>{body}</article></main></body></html>\n"
    ).encode()


def arabic_sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(ARABIC_WORDS) for _ in range(rng.randint(12, 20)))


def _huge_page_feed(site: HostileContent, rng: random.Random) -> HostileFeed:
    link = site.page("/hostile-huge/huge.html", huge_page_html(rng))
    site.huge_page = article_id(canonical_url(link))
    items = [
        site.neighbour("huge", 1),
        rss_item(
            "The longest report ever filed",
            link,
            "huge-1",
            description="A report that runs to five megabytes.",
        ),
        site.neighbour("huge", 2),
    ]
    return HostileFeed("hostile-huge", "Hostile huge", "en", utf8_feed("Huge", "en", items))


def _big_entry_feed(site: HostileContent, rng: random.Random) -> HostileFeed:
    sentences: list[str] = []
    size = 0
    while size < BIG_SUMMARY_BYTES:
        sentences.append(f"{sentence(rng, 40, 80)}.")
        size += len(sentences[-1].encode("utf-8")) + 1
    site.big_entry_title = "A summary of two megabytes"
    outlet = Outlet("big", "Hostile big entry", "en")
    paragraphs = tuple(f"Big entry page {k}: {sentence(rng, 18, 30)}." for k in range(4))
    story = Story("big", "big", site.big_entry_title, "2026-11-28T07:30:00Z", paragraphs)
    link = site.page("/hostile-big/big.html", render_page(outlet, story).encode("utf-8"))
    site.big_entry = article_id(canonical_url(link))
    items = [
        site.neighbour("big", 1),
        rss_item(site.big_entry_title, link, "big-1", description=" ".join(sentences)),
        site.neighbour("big", 2),
    ]
    return HostileFeed("hostile-big", "Hostile big entry", "en", utf8_feed("Big", "en", items))


def _redirect_feed(site: HostileContent, rng: random.Random) -> HostileFeed:
    path = "/hostile-redirect/moved.html"
    site.routes[path] = Reply(302, location=UNREACHABLE_TARGET)
    moved = FeedText(
        "Moved to a port that cannot exist", f"Redirected report: {sentence(rng, 40, 60)}."
    )
    site.by_feed_text.append(moved)
    items = [
        rss_item(moved.title, site.url(path), "moved-1", description=moved.text),
        site.neighbour("redirect", 1),
    ]
    return HostileFeed(
        "hostile-redirect", "Hostile redirect", "en", utf8_feed("Redirect", "en", items)
    )


def _arabic_feed(site: HostileContent, rng: random.Random) -> HostileFeed:
    """windows-1256 bytes with no charset in Content-Type and no encoding in the XML
    declaration: RFC 7303 section 3 then says UTF-8, which these bytes are not."""
    items = []
    for n, title in enumerate(ARABIC_TITLES):
        paragraphs = [arabic_sentence(rng) + "." for _ in range(4)]
        link = site.page(f"/hostile-arabic/ar{n}.html", arabic_page_html(paragraphs))
        site.arabic[article_id(canonical_url(link))] = title
        items.append(rss_item(title, link, f"ar-{n}", description=paragraphs[0]))
    body = rss("أخبار اليوم", "ar", items, declaration='<?xml version="1.0"?>')
    reply = Reply(200, "application/rss+xml", body.encode("windows-1256"))
    return HostileFeed("hostile-arabic", "Hostile Arabic", "ar", reply)


def _linkless_feed(site: HostileContent, rng: random.Random) -> HostileFeed:
    no_link = FeedText("An entry with no link", f"Linkless report: {sentence(rng, 40, 60)}.")
    script = FeedText("An entry whose link is a script", f"Script report: {sentence(rng, 40, 60)}.")
    site.by_feed_text += [no_link, script]
    site.skipped_title = "An entry with neither link nor text"
    items = [
        rss_item(no_link.title, None, "nolink-1", content=f"<p>{html.escape(no_link.text)}</p>"),
        rss_item(script.title, "javascript:void(0)", "script-1", description=script.text),
        rss_item(site.skipped_title, None, "empty-1"),
        site.neighbour("links", 1),
    ]
    return HostileFeed("hostile-links", "Hostile links", "en", utf8_feed("Links", "en", items))


def hostile_content(base_url: str) -> HostileContent:
    rng = random.Random(17)
    site = HostileContent(base_url)
    for feed in (_huge_page_feed, _big_entry_feed, _redirect_feed, _arabic_feed, _linkless_feed):
        site.feeds.append(feed(site, rng))
    return site


def empty_feed(feed: HostileFeed) -> Reply:
    return utf8_feed(feed.outlet, feed.language, [])


def _handler_for(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the replay server
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            reply = server.reply_to(self.path.split("?", 1)[0])
            etag = '"' + hashlib.blake2b(reply.body, digest_size=8).hexdigest() + '"'
            if reply.status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(reply.status)
            if reply.content_type is not None:
                self.send_header("Content-Type", reply.content_type)
            if reply.location is not None:
                self.send_header("Location", reply.location)
            if reply.status == 200:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet, as the replay server

    return Handler


@dataclass
class HostileServer:
    server: ThreadingHTTPServer
    content: HostileContent
    armed: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(cls) -> HostileServer:
        http = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        hostile = cls(http, hostile_content(f"http://127.0.0.1:{http.server_address[1]}"))
        http.RequestHandlerClass = _handler_for(hostile)
        threading.Thread(target=http.serve_forever, name="hostile-server", daemon=True).start()
        return hostile

    def arm(self) -> None:
        """From now on the feeds serve their hostile content."""
        self.armed.set()

    def reply_to(self, path: str) -> Reply:
        for feed in self.content.feeds:
            if path == f"/feeds/{feed.slug}.xml":
                return feed.reply if self.armed.is_set() else empty_feed(feed)
        return self.content.routes.get(path, Reply(404, "text/plain", b"not found\n"))

    def feeds_toml(self) -> str:
        lines = []
        for feed in self.content.feeds:
            lines += [
                "[[feed]]",
                f'url = "{self.content.url(f"/feeds/{feed.slug}.xml")}"',
                f'outlet = "{feed.outlet}"',
                f'language = "{feed.language}"',
                f"max_interval_s = {HOSTILE_MAX_INTERVAL_S}",
                "",
            ]
        return "\n".join(lines)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
