"""trafilatura's XPath expressions, rewritten to select the same elements with less work:
each `re:test` on an attribute guarded by that attribute, and each step that tests element
names one by one made a union of name tests.

trafilatura picks a page's body, its author, categories and tags with XPath expressions
such as `//*[self::div or self::p][... or re:test(@class, 'author|byline')]`. `re:test` is
EXSLT's regular-expression test, which lxml implements in Python: libxml2 calls back into
the interpreter for every element the predicate reaches, whether or not the element has a
class at all (a missing attribute is the empty string to it). Most elements of a news page
(its paragraphs) have no class and no id, and those calls were a tenth of extract_page's CPU.

`(@class and re:test(@class, P))` selects the same elements whenever P cannot match the
empty string: without the attribute both are false, and XPath 1.0 (section 3.4) does not
evaluate the right operand of `and` when the left is false. guarded_path writes that form,
and only where it holds.

`//*[self::div or self::p][P]` visits every element and evaluates the `or` chain on each
(libxml2's generic evaluator, an object pushed and popped per test), where `(//div|//p)[P]`
has name tests of a step's own, which libxml2 matches directly, with no predicate evaluated
per element (docs/performance.md measures extract_page with and without). The two select the same
elements in the same (document) order whenever P does not depend on the context position or
size: position in the first counts among the siblings that passed the name test, in the
second within the whole union (XPath 1.0 sections 2.4 and 3.3). unioned_path writes the
union only where it can tell that: every following predicate a boolean by its form (an
`or`/`and`, a comparison, a boolean function, a location path) with no position() or
last() in it, and the step the start of an expression (not a step after others).

install_guards puts the rewritten expressions where trafilatura's functions find them (its
modules' lists, in place, and its one lone expression). unguarded() puts the originals back
for a while: the benchmark measures plain trafilatura against the extract stage.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import trafilatura  # noqa: F401  # loads the modules whose expressions are guarded
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

# (module, name) -> the original value there (an expression or a list of them), while the
# guarded ones are in.
_originals: dict[tuple[ModuleType, str], XPath | list[XPath]] = {}


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


# A step testing names one by one: `//*[self::a or self::b]`, `.//*[(self::a or self::b)]`.
_NAME_TEST_STEP = re.compile(
    r"(?P<axis>\.?//)\*\[\s*(?:\(\s*(?P<inner>{names})\s*\)|(?P<names>{names}))\s*\]".format(
        names=r"self::[\w-]+(?:\s+or\s+self::[\w-]+)*"
    )
)
# What may come just before an expression's start (or nothing): a step after these begins a
# path of its own, so it can become a parenthesized union.
_STARTS_AFTER = re.compile(r"(?:^|[(\[|,]|\s(?:or|and))\s*$")
_BOOLEAN_FUNCTION = re.compile(r"(?:not|contains|starts-with|re:test|boolean|true|false|lang)\(\)")
_COMPARISON = re.compile(r"!=|<=|>=|=|<|>")
_AXIS = (
    r"(?:self|child|descendant|descendant-or-self|parent|ancestor|following-sibling"
    r"|preceding-sibling)::"
)
_LOCATION_PATH = re.compile(rf"(?:@|\.|/|{_AXIS})[\w@.:/*|-]*")


def _unquoted(text: str) -> Iterator[tuple[int, str, int]]:
    """Each character of `text` outside its literals (a literal comes as its opening quote;
    XPath has no escapes), with its index and its depth in parentheses and brackets (a
    delimiter at the depth outside it)."""
    depth, quote = 0, ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
            continue
        if char in "'\"":
            quote = char
        elif char in ")]":
            depth -= 1
        yield i, char, depth
        if char in "([":
            depth += 1


def _top_level(text: str) -> str:
    """`text` with what lies inside literals, parentheses and brackets taken out (the
    delimiters kept, a literal as ''): what is left are the expression's own operators."""
    return "".join("''" if c in "'\"" else c for _, c, depth in _unquoted(text) if depth == 0)


def position_free_boolean(predicate: str) -> bool:
    """True when the predicate is a boolean by its form, whatever it is applied to, and never
    reads the context position or size (False when in doubt)."""
    if re.search(r"\b(?:position|last)\s*\(", predicate):
        return False
    term = predicate.strip()
    while term.startswith("(") and _top_level(term) == "()":
        term = term[1:-1].strip()
    shape = _top_level(term).strip()
    if re.search(r"\s(?:or|and)\s", shape) or _COMPARISON.search(shape):
        return True
    if _BOOLEAN_FUNCTION.fullmatch(shape):
        return True
    path = re.sub(r"\[\]", "", shape)
    # A path's node-set is a boolean as a predicate; `*` only as a name test there.
    return bool(_LOCATION_PATH.fullmatch(path)) and not re.search(r"(?<![/:])\*", path)


def _predicates_at(path: str, at: int) -> list[str]:
    """The predicates that follow one another from `at` (`[...]`, whitespace between them)."""
    predicates: list[str] = []
    while True:
        start = at + len(path[at:]) - len(path[at:].lstrip())
        if not path.startswith("[", start):
            return predicates
        ends = (i for i, c, depth in _unquoted(path[start:]) if c == "]" and depth == 0)
        end = next(ends, None)
        if end is None:
            return predicates  # unbalanced: left for lxml to report
        predicates.append(path[start + 1 : start + end])
        at = start + end + 1


def unioned_path(path: str) -> str:
    """The XPath expression with each step that tests names one by one written as a union of
    name tests, where that changes no result (module docstring)."""
    out, done = [], 0
    for step in _NAME_TEST_STEP.finditer(path):
        if not _STARTS_AFTER.search(path[: step.start()]):
            continue
        predicates = _predicates_at(path, step.end())
        if not all(position_free_boolean(p) for p in predicates):
            continue
        names = re.findall(r"self::([\w-]+)", step["inner"] or step["names"])
        out += [path[done : step.start()], "(", "|".join(step["axis"] + n for n in names), ")"]
        done = step.end()
    return "".join(out) + path[done:]


def _held_expressions() -> dict[tuple[ModuleType, str], XPath | list[XPath]]:
    """Every module-level expression of trafilatura's modules, and every list of them, by
    (module, name): most live in lists in trafilatura.xpaths, one (BASIC_CLEAN_XPATH) alone
    in trafilatura.settings and, imported by name, in trafilatura.baseline."""
    held: dict[tuple[ModuleType, str], XPath | list[XPath]] = {}
    modules = [m for n, m in sys.modules.items() if n.split(".")[0] == "trafilatura"]
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, XPath) or (
                isinstance(value, list) and value and all(isinstance(x, XPath) for x in value)
            ):
                held[module, name] = value
    return held


def _guarded(expression: XPath) -> XPath:
    path = unioned_path(guarded_path(expression.path))
    if path == expression.path:
        return expression
    return XPath(path, namespaces={"re": EXSLT_REGEXP})


def _put(module: ModuleType, name: str, value: XPath | list[XPath]) -> None:
    """Lists are changed in place (trafilatura's functions hold them by their module's
    name or import them by name); a lone expression is set where it was found."""
    held = vars(module)[name]
    if isinstance(held, list) and isinstance(value, list):
        held[:] = value
    else:
        setattr(module, name, value)


def install_guards() -> None:
    """Guard trafilatura's expressions where it keeps them. Twice is once."""
    if _originals:
        return
    lists_done: set[int] = set()  # a list imported by name is held by several modules
    for (module, name), value in _held_expressions().items():
        if isinstance(value, list):
            if id(value) in lists_done:
                continue
            lists_done.add(id(value))
        _originals[module, name] = list(value) if isinstance(value, list) else value
        guarded = [_guarded(x) for x in value] if isinstance(value, list) else _guarded(value)
        _put(module, name, guarded)


@contextmanager
def unguarded() -> Iterator[None]:
    """trafilatura's original expressions for the duration (the guarded ones after, if they
    were in before). For measuring trafilatura as it ships, in one thread: the expressions
    are the process's own, so another thread extracting meanwhile would use the originals too."""
    if not _originals:
        yield
        return
    guarded = {
        (module, name): (list(value) if isinstance(value, list) else value)
        for (module, name), value in _held_expressions().items()
        if (module, name) in _originals
    }
    for (module, name), value in _originals.items():
        _put(module, name, value)
    try:
        yield
    finally:
        for (module, name), value in guarded.items():
            _put(module, name, value)
