"""trafilatura's XPath expressions, each `re:test` on an attribute guarded by that attribute.

trafilatura picks a page's body, its author, categories and tags with XPath expressions
such as `//*[self::div or self::p][... or re:test(@class, 'author|byline')]`. `re:test` is
EXSLT's regular-expression test, which lxml implements in Python: libxml2 calls back into
the interpreter for every element the predicate reaches, whether or not the element has a
class at all (a missing attribute is the empty string to it). Most elements of a news page
(its paragraphs) have no class and no id, and those calls were a tenth of extract_page's CPU.

`(@class and re:test(@class, P))` selects the same elements whenever P cannot match the
empty string: without the attribute both are false, and XPath 1.0 (section 3.4) does not
evaluate the right operand of `and` when the left is false. guarded_path writes that form,
and only where it holds; install_guards puts the guarded expressions in trafilatura's own
lists, in place, so that its functions use them. unguarded() puts the originals back for a
while: the benchmark measures plain trafilatura against the extract stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import trafilatura.xpaths
from lxml.etree import XPath

# EXSLT's namespace for regular expressions, as trafilatura declares it (xpaths.REGEXP_NS).
EXSLT_REGEXP = "http://exslt.org/regular-expressions"
# re:test(ARG, 'pattern') or re:test(ARG, 'pattern', 'flags'), ARG an attribute or a union
# of attributes (@id|@class); the literal in single or double quotes (XPath has no escapes).
_ATTRIBUTES = r"@[\w.-]+(?:\s*\|\s*@[\w.-]+)*"
_LITERAL = r"'[^']*'|\"[^\"]*\""
_RE_TEST = re.compile(
    rf"re:test\(\s*(?P<arg>{_ATTRIBUTES})\s*,\s*(?P<pattern>{_LITERAL})"
    rf"(?:\s*,\s*(?P<flags>{_LITERAL}))?\s*\)"
)

# trafilatura's list name -> its original expressions, while the guarded ones are in.
_originals: dict[str, list[XPath]] = {}


def matches_nothing_empty(pattern: str, flags: str = "") -> bool:
    """True when `pattern` finds no match in the empty string, compiled as lxml compiles an
    EXSLT pattern (re.UNICODE, re.IGNORECASE for flag "i"); False for a pattern Python's re
    rejects (then the expression is left as it is)."""
    try:
        compiled = re.compile(pattern, re.UNICODE | (re.IGNORECASE if "i" in flags else 0))
    except re.error:
        return False
    return compiled.search("") is None


def guarded_path(path: str) -> str:
    """The XPath expression with each re:test on attributes put behind a test that one of
    them is there, where that changes no result (module docstring)."""

    def guard(test: re.Match[str]) -> str:
        pattern, flags = test["pattern"][1:-1], (test["flags"] or "''")[1:-1]
        if not matches_nothing_empty(pattern, flags):
            return test[0]
        return f"(({test['arg']}) and {test[0]})"

    return _RE_TEST.sub(guard, path)


def _expression_lists() -> dict[str, list[XPath]]:
    """trafilatura.xpaths' module-level lists of compiled expressions, by name."""
    return {
        name: value
        for name, value in vars(trafilatura.xpaths).items()
        if isinstance(value, list) and value and all(isinstance(x, XPath) for x in value)
    }


def _guarded(expression: XPath) -> XPath:
    path = guarded_path(expression.path)
    if path == expression.path:
        return expression
    return XPath(path, namespaces={"re": EXSLT_REGEXP})


def install_guards() -> None:
    """Guard trafilatura's expressions, in its own lists (its functions read them from there
    at every call). Twice is once."""
    if _originals:
        return
    for name, expressions in _expression_lists().items():
        _originals[name] = list(expressions)
        expressions[:] = [_guarded(x) for x in expressions]


@contextmanager
def unguarded() -> Iterator[None]:
    """trafilatura's original expressions for the duration (the guarded ones after, if they
    were in before). For measuring trafilatura as it ships, in one thread: the lists are
    the process's own, so another thread extracting meanwhile would use the originals too."""
    if not _originals:
        yield
        return
    lists = _expression_lists()
    guarded = {name: list(lists[name]) for name in _originals}
    for name, expressions in _originals.items():
        lists[name][:] = expressions
    try:
        yield
    finally:
        for name, expressions in guarded.items():
            lists[name][:] = expressions
