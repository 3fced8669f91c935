"""The layout is the architecture, checked over the whole import graph of the project.

- The core (ingest/, workers/, schemas/, and newsroom/, what the browser view shows) decides: none of its modules, nor any project module
  they import, directly or through others, talks to Kafka, Redis, HTTP or Prometheus, nor
  imports adapters/, services/ or the command (newsflow/).
- adapters/ (and services/, which starts local servers) talk to them and implement what the
  core defines: they may import the core, never the command.
- The command (newsflow/) wires them: its modules use the clients only through adapters/ or
  services/ (the walk stops there).
- The contracts (schemas/) import nothing else of the project.
"""

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "adapters",
    "ingest",
    "workers",
    "schemas",
    "newsroom",
    "newsflow",
    "services",
    "evaluation",
)
# Every top-level package of the project: a new one must be placed in the layers above.
FOUND = tuple(sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name != "tests"))
CORE = ("ingest", "workers", "schemas", "newsroom")
OUTER = ("adapters", "services")  # where the clients may be used
# Client libraries and the standard library's own network and server modules.
CLIENTS = (
    "kafka",
    "redis",
    "hiredis",
    "pycurl",
    "prometheus_client",
    "urllib3",
    "requests",
    "httpx",
    "aiohttp",
    "socket",
    "ssl",
    "http.client",
    "http.server",
    "socketserver",
    "urllib.request",
    "asyncio",
    "ftplib",
    "smtplib",
    "imaplib",
    "xmlrpc",
    "multiprocessing.connection",
    # The network entry points of libraries the core uses for pure work.
    "trafilatura.downloads",
    "trafilatura.fetch_url",
    "feedparser.http",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Every module `module` imports by absolute name (a `from a.b import c` counts a.b and
    a.b.c, as c may be a module)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(names)


def _project(name: str) -> str | None:
    """The project module that an imported name is (or lives in), if any."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def reachable(start: str, stop_at: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(importer, imported name) for every import made by `start` or by a project module it
    reaches through imports, not walking into packages of `stop_at`."""
    seen, todo = {start}, [start]
    while todo:
        module = todo.pop()
        for name in direct_imports(module):
            yield module, name
            found = _project(name)
            if found and found not in seen and found.split(".")[0] not in stop_at:
                seen.add(found)
                todo.append(found)


def _is_client(name: str) -> bool:
    return any(name == client or name.startswith(client + ".") for client in CLIENTS)


def _in(name: str, packages: tuple[str, ...]) -> bool:
    return name.split(".")[0] in packages


def test_the_graph_is_read() -> None:
    assert len(MODULES) > 80
    assert "workers.runner" in MODULES and "adapters.kafka_client" in MODULES
    assert any(_is_client(name) for name in direct_imports("adapters.kafka_client"))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, CORE)))
def test_the_core_reaches_no_client_and_no_outer_module(module: str) -> None:
    wrong = sorted(
        f"{importer} imports {name}"
        for importer, name in reachable(module)
        if _is_client(name) or _in(name, ("adapters", "services", "newsflow", "evaluation"))
    )
    assert not wrong, wrong


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, ("newsflow",))))
def test_the_command_uses_clients_only_through_adapters(module: str) -> None:
    wrong = sorted(
        f"{importer} imports {name}"
        for importer, name in reachable(module, stop_at=OUTER)
        if _is_client(name) and not _in(importer, OUTER)
    )
    assert not wrong, wrong


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, OUTER)))
def test_adapters_and_services_never_import_the_command(module: str) -> None:
    wrong = sorted(
        f"{importer} imports {name}"
        for importer, name in reachable(module)
        if _in(name, ("newsflow", "evaluation"))
    )
    assert not wrong, wrong


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, ("schemas",))))
def test_the_contracts_import_nothing_else_of_the_project(module: str) -> None:
    wrong = [
        name
        for name in direct_imports(module)
        if _in(name, PACKAGES) and not _in(name, ("schemas",))
    ]
    assert not wrong, wrong


def test_every_top_level_package_is_placed_in_a_layer() -> None:
    assert sorted(PACKAGES) == list(FOUND)


def _imports_by_name(module: str) -> list[str]:
    """Calls that import a module named at run time, which the graph above cannot see."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if called in ("__import__", "importlib.import_module", "import_module"):
                found.append(f"{module}:{node.lineno} {called}")
    return found


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _in(m, CORE)))
def test_the_core_imports_no_module_by_name_at_run_time(module: str) -> None:
    assert not _imports_by_name(module)
