import re
import sys

import lxml.html
import pytest
import trafilatura.xpaths
from lxml.etree import XPath

from ingest.extract import extract_page
from ingest.xpath_guards import (
    EXSLT_REGEXP,
    guarded_path,
    install_guards,
    matches_nothing_empty,
    position_free_boolean,
    unguarded,
    unioned_path,
)
from services.replay_server import Outlet, Story, render_page


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("//p[re:test(@class, 'author')]", "//p[((@class) and re:test(@class, 'author'))]"),
        (
            "//*[re:test(@id|@class, '^comment[s-]')]",
            "//*[((@id|@class) and re:test(@id|@class, '^comment[s-]'))]",
        ),
        (
            "//div[re:test(@class, 'fulltext', 'i')]",
            "//div[((@class) and re:test(@class, 'fulltext', 'i'))]",
        ),
        ('//a[re:test(@data-x, "by")]', '//a[((@data-x) and re:test(@data-x, "by"))]'),
        (
            "//a[re:test(@id, 'a') or re:test(@class, 'b')]",
            "//a[((@id) and re:test(@id, 'a')) or ((@class) and re:test(@class, 'b'))]",
        ),
        # Patterns that match the empty string select elements without the attribute too.
        ("//p[re:test(@class, '^')]", "//p[re:test(@class, '^')]"),
        ("//p[re:test(@class, 'x?')]", "//p[re:test(@class, 'x?')]"),
        (
            "//p[re:test(@class, '(^|\\s)link(\\s|$)|')]",
            "//p[re:test(@class, '(^|\\s)link(\\s|$)|')]",
        ),
        # Not an attribute: its string is the text, which may be empty for other reasons.
        ("//p[re:test(., 'x')]", "//p[re:test(., 'x')]"),
        ("//p[re:test(text(), 'x')]", "//p[re:test(text(), 'x')]"),
        # Python's re rejects it: left for lxml to report, as it would.
        ("//p[re:test(@class, '(')]", "//p[re:test(@class, '(')]"),
        ("//p[@class='author']", "//p[@class='author']"),
    ],
)
def test_guarded_path(path: str, expected: str) -> None:
    assert guarded_path(path) == expected


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [("author", "", True), ("^$", "", False), ("a*", "", False), ("[A-Z]+", "i", True)],
)
def test_matches_nothing_empty(pattern: str, flags: str, expected: bool) -> None:
    assert matches_nothing_empty(pattern, flags) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("//*[self::a or self::div][@id='x']", "(//a|//div)[@id='x']"),
        (".//*[(self::p or self::li)][@class]//a[@href]", "(.//p|.//li)[@class]//a[@href]"),
        ("(.//*[self::div][@a='1'])[1]|(.//main)[1]", "((.//div)[@a='1'])[1]|(.//main)[1]"),
        (
            ".//*[self::div or self::p][\n  not(.//h1) or re:test(@id, 'x')][contains(@c, ']')]",
            "(.//div|.//p)[\n  not(.//h1) or re:test(@id, 'x')][contains(@c, ']')]",
        ),
        ("//*[self::h1 or self::h2]", "(//h1|//h2)"),
        ("not(.//*[self::a or self::b])", "not((.//a|.//b))"),
        # A position among the siblings that passed the name test: left as it is.
        (".//*[self::div or self::p][@class][1]", ".//*[self::div or self::p][@class][1]"),
        ("//*[self::p][last()]", "//*[self::p][last()]"),
        ("//*[self::p][position() < 3]", "//*[self::p][position() < 3]"),
        ("//*[self::p][count(a)]", "//*[self::p][count(a)]"),
        # A step after another step: no union can stand there.
        ("//body//*[self::a or self::p]", "//body//*[self::a or self::p]"),
        ("//*[self::a or @id]", "//*[self::a or @id]"),
    ],
)
def test_unioned_path(path: str, expected: str) -> None:
    assert unioned_path(path) == expected


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ("@class='x' or @id", True),
        ("contains(@a, 'b')", True),
        ("not(.//h1)", True),
        ("@id|@class", True),
        (".//h1", True),
        ("(@a)", True),
        ("string-length(.) > 3", True),
        ("re:test(@class, 'a|b')", True),
        ("1", False),
        ("last()", False),
        ("position() = 1", False),
        ("count(.//p)", False),
        ("string-length(.)", False),
        ("@a * @b", False),
        ("@a*@b", False),
        ("@a - 1", False),
    ],
)
def test_position_free_boolean(predicate: str, expected: bool) -> None:
    assert position_free_boolean(predicate) is expected


# Our own page of the attribute shapes the expressions look at: none at all, empty values,
# classes and ids that their patterns match and near misses, in body, byline, comment,
# teaser and navigation roles.
FIXTURE = """<!DOCTYPE html><html><head><title>Port news | Gazette</title>
<meta name="author" content="Desk"></head><body>
<div id="main-content" class="article-body"><article class="post">
<h1 class="entry-title">Breakwater</h1>
<p>A plain paragraph with no attributes at all, as most are.</p>
<p class="">An empty class.</p><p id="">An empty id.</p>
<p class="byline">By A. Writer</p><span class="author-name">A. Writer</span>
<a rel="author" href="/w">Writer</a><div class="AuthorName">Writer</div>
<div id="story" class="fulltext">The story itself, long enough to be a body.</div>
<div class="FullText">Case-blind class.</div>
<div class="post-meta"><a href="/c/port">Port</a></div><p class="tags"><a href="/t/sea">Sea</a></p>
<div class="comments-area" id="comments"><ol class="commentlist"><li>First!</li></ol></div>
<div class="sidebar hidden" style="display:none">Hidden</div><div class="hide-print">x</div>
<section class="related teaser"><a href="/x">More</a></section>
<div class="infinite-scroll">y</div><div class="cookie-consent">Cookies</div>
<time class="date">2026-12-01</time><figure class="wp-block-image"><img src="a.jpg"></figure>
<footer class="bottom links"><p class="copyright">(c) Gazette</p></footer>
<h2 class="headline">Second headline</h2><h3 class="title">Third</h3>
<span class="caption">A caption</span><aside class="elementor-share-buttons">Share</aside>
<ul class="comment-list"><li>Two</li></ul><details id="comments-more">More</details>
<section id="social-links">Follow</section><main id="content">Main part</main>
<ul><li class="post-category"><a href="/c/harbour">Harbour</a></li></ul>
<address class="author">Desk</address><strong class="byline">By Desk</strong>
<div data-lp-replacement-content="1">Replaced</div><span class="teaser">Tease</span>
</article></div></body></html>"""


def _selections(expression: XPath, tree: lxml.html.HtmlElement) -> list[str]:
    root = tree.getroottree()
    return [root.getpath(e) if hasattr(e, "tag") else repr(e) for e in expression(tree)]


def _expressions() -> dict[tuple[str, str, int], XPath]:
    """Where trafilatura keeps its expressions: lists in xpaths, and BASIC_CLEAN_XPATH alone
    in settings and, imported by name, in baseline."""
    found = {}
    # sys.modules: the package's own name "baseline" is its baseline() function.
    for module_name in ("trafilatura.xpaths", "trafilatura.settings", "trafilatura.baseline"):
        module = sys.modules[module_name]
        for name, value in vars(module).items():
            for i, x in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(x, XPath):
                    found[module_name, name, i] = x
    return found


def test_guarded_expressions_select_what_trafilaturas_own_do() -> None:
    install_guards()
    tree = lxml.html.fromstring(FIXTURE)
    with unguarded():
        originals = _expressions()
    guarded = _expressions()
    assert guarded.keys() == originals.keys()
    compared, selecting = 0, 0
    for where, original in originals.items():
        mine = guarded[where]
        assert _selections(mine, tree) == _selections(original, tree), (where, original.path)
        compared += mine is not original
        selecting += bool(_selections(mine, tree)) and mine is not original
    # The comparison means something: many expressions were rewritten (the lone one where
    # baseline holds it too), and many of those select elements of the fixture.
    assert (
        guarded["trafilatura.baseline", "BASIC_CLEAN_XPATH", 0]
        is not originals["trafilatura.baseline", "BASIC_CLEAN_XPATH", 0]
    )
    assert compared >= 28 and selecting >= 20
    # And most of them hold unions of name tests now.
    unions = [x for x in guarded.values() if re.search(r"\(\.?//[\w-]+\|", x.path)]
    assert len(unions) >= 20


def test_a_missing_attribute_is_the_empty_string_to_re_test() -> None:
    """What the guard relies on (lxml's EXSLT functions), and why a pattern that matches the
    empty string is left alone."""
    tree = lxml.html.fromstring("<div><p>none</p><p class='x'>x</p></div>")
    ns = {"re": EXSLT_REGEXP}
    assert [p.text for p in XPath("//p[re:test(@class, '^')]", namespaces=ns)(tree)] == [
        "none",
        "x",
    ]
    assert [p.text for p in XPath("//p[re:test(@class, 'x')]", namespaces=ns)(tree)] == ["x"]


def _author_xpaths() -> list[XPath]:
    return list(trafilatura.xpaths.AUTHOR_XPATHS)


def test_install_twice_is_once_and_unguarded_restores_both_ways() -> None:
    install_guards()
    guarded = _author_xpaths()
    install_guards()
    assert _author_xpaths() == guarded
    with unguarded():
        assert all("((@" not in x.path for x in _author_xpaths())
    assert _author_xpaths() == guarded
    assert any("((@" in x.path for x in guarded)


def test_extract_page_gives_the_same_with_and_without_guards() -> None:
    outlet = Outlet("gazette", "Gazette", "en")
    story = Story("gazette", "port", "Port news", "2026-12-01T07:00:00Z", ("One para.",) * 3)
    for html in (FIXTURE.encode(), render_page(outlet, story).encode()):
        guarded = extract_page(html, "https://gazette.example/port")
        with unguarded():
            plain = extract_page(html, "https://gazette.example/port")
        assert guarded == plain
    assert extract_page(FIXTURE.encode(), "https://gazette.example/port").author
