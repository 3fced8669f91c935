"""A feed's older pages (pure): where entries that left the first page can still be read.

After a probable gap (ingest/pace.py) the poller reads on, page after page, until a page
lists an entry it has seen or the feed has no older page. A feed says where its older
entries are in one of three ways:
- RFC 5005: a paged feed links its next (older) page with rel="next" (section 3), an
  archived feed its previous archive document with rel="prev-archive" (section 4);
- JSON Feed 1.1: `next_url`;
- WordPress, and CMSs like it, take the page's number in the feed's query: `?paged=2`. A
  WordPress feed names itself in its generator; for another CMS the feed's `page_param`
  option names the parameter.
Only pages of the feed's own origin are read: a link elsewhere is where a feed's content,
which anyone may write, would send the poller.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ingest.parse import ParsedFeed

WORDPRESS_PAGE_PARAM = "paged"


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def with_page(url: str, param: str, page: int) -> str:
    """`url` with its query's `param` set to `page` (the other parameters kept, in order)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    return urlunsplit(parts._replace(query=urlencode([*query, (param, str(page))])))


def page_param_of(parsed: ParsedFeed, configured: str | None) -> str | None:
    """The query parameter that numbers the feed's pages: the feed's option, else WordPress's
    when the feed's generator is WordPress, else none."""
    if configured:
        return configured
    if parsed.generator and "wordpress" in parsed.generator.lower():
        return WORDPRESS_PAGE_PARAM
    return None


def next_page_url(
    parsed: ParsedFeed, page_url: str, feed_url: str, page: int, page_param: str | None
) -> str | None:
    """The page after page number `page` (1: the feed itself, read from `page_url`), or None
    when there is none to read: no link, no page parameter, or a link off the feed's origin."""
    if parsed.next_page:
        found = urljoin(page_url, parsed.next_page)
    elif param := page_param_of(parsed, page_param):
        found = with_page(feed_url, param, page + 1)
    else:
        return None
    return found if origin(found) == origin(feed_url) else None
