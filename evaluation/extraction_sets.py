"""The extraction sets under `<data>/extraction/`, each a folder, read in either layout the
shared data uses, so that a set added later needs no code:

- the scrapinghub layout: `ground-truth.json` ({id: {articleBody, url}}) and
  `html/<id>.html.gz`;
- the merged-datasets layout: `pages-and-gold.tar.gz` (or the same files unpacked) holding
  `<root>/input/<name>.html` and `<root>/GoldStandard/<name>.txt`, one page per name.

Pages stay bytes, as they were crawled: the extractor reads the charset as it would from a
server that sent none."""

from __future__ import annotations

import codecs
import gzip
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import lxml.html
from lxml.etree import ParserError

GROUND_TRUTH = "ground-truth.json"
ARCHIVE = "pages-and-gold.tar.gz"
PAGES_DIR, GOLD_DIR = "input", "GoldStandard"
_BLOCKS = (
    *("p", "div", "section", "article", "header", "footer", "aside", "main", "figure"),
    *("figcaption", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("pre", "blockquote", "table", "tr", "td", "th", "br", "hr"),
)


@dataclass(frozen=True)
class ExtractionSet:
    name: str
    pages: dict[str, tuple[bytes, str]]  # page id -> (HTML bytes, URL)
    truths: dict[str, str]  # page id -> the text people selected as the article
    comments_cut: int = 0  # gold texts whose readers' comments were cut (article_part)
    html_golds: int = 0  # gold texts given as HTML, read as their text (gold_text)


class UnknownLayout(ValueError):
    """A folder under extraction/ in neither layout."""


class UnknownSet(ValueError):
    """A set asked for by name that is not under extraction/."""


def read_sets(data: Path, names: frozenset[str] = frozenset()) -> list[ExtractionSet]:
    """Every set under `data`/extraction (or those named), in name order."""
    folders = sorted(p for p in (data / "extraction").iterdir() if p.is_dir())
    if unknown := names - {f.name for f in folders}:
        raise UnknownSet(f"no such extraction set under {data / 'extraction'}: {sorted(unknown)}")
    return [read_set(f) for f in folders if not names or f.name in names]


def read_set(folder: Path) -> ExtractionSet:
    if (folder / GROUND_TRUTH).is_file():
        return _ground_truth_set(folder)
    files = dict(_archive_files(folder / ARCHIVE)) if (folder / ARCHIVE).is_file() else {}
    files = files or dict(_folder_files(folder))
    pages, raw = _paired(folder.name, files)
    if not pages:
        raise UnknownLayout(
            f"{folder}: neither {GROUND_TRUTH} nor {ARCHIVE} (or {PAGES_DIR}/ and {GOLD_DIR}/)"
        )
    texts = {n: gold_text(gold) for n, gold in raw.items()}
    truths = {n: article_part(text) for n, text in texts.items()}
    cut = sum(truths[n] != texts[n] for n in texts)
    html = sum(texts[n] != raw[n] for n in raw)
    return ExtractionSet(folder.name, pages, truths, cut, html)


def _ground_truth_set(folder: Path) -> ExtractionSet:
    truth = json.loads((folder / GROUND_TRUTH).read_text(encoding="utf-8"))
    pages = {}
    for page_id, entry in truth.items():
        html = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages[page_id] = (html, entry["url"])
    truths = {page_id: entry["articleBody"] for page_id, entry in truth.items()}
    return ExtractionSet(folder.name, pages, truths)


def _archive_files(archive: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:
            if member.isfile() and (handle := tar.extractfile(member)) is not None:
                yield PurePosixPath(member.name), handle.read()


def _folder_files(folder: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    for path in folder.rglob("*"):
        if path.is_file() and path.parent.name in (PAGES_DIR, GOLD_DIR):
            yield PurePosixPath(path.relative_to(folder).as_posix()), path.read_bytes()


def _paired(
    set_name: str, files: dict[PurePosixPath, bytes]
) -> tuple[dict[str, tuple[bytes, str]], dict[str, str]]:
    """Pages that have a gold text (and gold texts that have a page), by name. The sets give
    no page address: each page gets one of its own under a reserved domain (RFC 2606)."""
    html = {p.stem: data for p, data in files.items() if p.parent.name == PAGES_DIR}
    gold = {p.stem: data for p, data in files.items() if p.parent.name == GOLD_DIR}
    names = sorted(html.keys() & gold.keys())
    pages = {n: (html[n], f"https://{set_name}.example/{n}") for n in names}
    golds = {n: decoded(gold[n]) for n in names}
    return pages, golds


# Dragnet's gold files hold the article, then a line of punctuation and COMMENTS, then the
# readers' comments (Dragnet scores content and content + comments apart). The pipeline's
# body is the article: the comments are not part of what it should extract. Some files
# have the punctuation run slightly garbled ("!@ $%^&*()"), hence the loose pattern, and
# some end their lines with CRLF.
_COMMENTS_MARKER = re.compile(r"^[ \t]*[!@#$%^&*()][!@#$%^&*() \t]{4,}COMMENTS[ \t\r]*$", re.M)


def article_part(gold: str) -> str:
    """The gold text before Dragnet's comments marker, or all of it when it has none."""
    marker = _COMMENTS_MARKER.search(gold)
    return gold[: marker.start()] if marker else gold


def decoded(gold: bytes) -> str:
    """A gold file's text: UTF-8, or UTF-16 where it starts with a byte-order mark (five of
    Dragnet's files); a stray byte must not stop a run."""
    if gold.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return gold.decode("utf-16", errors="replace")
    return gold.decode("utf-8-sig", errors="replace")


def gold_text(gold: str) -> str:
    """The text of a gold file. Some sets ship the expected article as HTML (Readability's
    tests keep their expected page as markup): scored as it stands, every tag and attribute
    would count as text that no extractor returns. Such a gold is read as its text, each
    block element on lines of its own, scripts and styles left out."""
    if not gold.lstrip().startswith("<"):
        return gold
    try:
        root = lxml.html.fromstring(gold)
    except (ParserError, ValueError):
        return gold
    for hidden in root.xpath("//script|//style"):
        hidden.drop_tree()
    for block in root.iter(*_BLOCKS):
        block.text = "\n" + (block.text or "")
        block.tail = "\n" + (block.tail or "")
    return "\n".join(line.strip() for line in root.text_content().splitlines() if line.strip())
