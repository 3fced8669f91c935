"""The layout is the architecture: only adapters/ talks to Kafka, Redis and HTTP, and the
contracts import nothing from the rest of the project."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_CLIENTS = {"kafka", "redis", "httpx", "requests", "urllib3", "pycurl", "socket"}
PROJECT = {"adapters", "ingest", "workers", "schemas", "newsflow", "services"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", ["ingest", "workers", "schemas"])
def test_only_adapters_import_io_clients(package: str) -> None:
    for module in _modules(package):
        assert not (_imports(module) & IO_CLIENTS), f"{module} imports an I/O client"


def test_schemas_import_nothing_from_the_project() -> None:
    for module in _modules("schemas"):
        assert not (_imports(module) & (PROJECT - {"schemas"})), module


def test_adapters_import_neither_stages_nor_the_command() -> None:
    for module in _modules("adapters"):
        assert not (_imports(module) & {"ingest", "workers", "newsflow", "services"}), module
