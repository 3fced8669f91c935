"""Load the JSON Schemas and validate messages against them (producers before sending,
consumers after receiving)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent
CONTRACTS = ("entry.v1", "article.v1", "deduped.v1", "processed.v1", "dead_letter.v1")


class ContractViolation(ValueError):
    """A message does not match its topic's contract; `problems` lists every mismatch."""

    def __init__(self, contract: str, problems: list[str]) -> None:
        super().__init__(f"{contract}: " + "; ".join(problems))
        self.contract = contract
        self.problems = problems


def load_schema(contract: str) -> dict[str, Any]:
    path = SCHEMA_DIR / f"{contract}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@cache
def _registry() -> Registry:
    resources = []
    for contract in CONTRACTS:
        schema = load_schema(contract)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def validator(contract: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(contract), registry=_registry())


def problems(contract: str, message: Mapping[str, Any]) -> list[str]:
    """Every way `message` breaks the contract, as readable lines; empty when it is valid."""
    errors = sorted(validator(contract).iter_errors(message), key=lambda e: list(e.path))
    return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in errors]


def check(contract: str, message: Mapping[str, Any]) -> None:
    found = problems(contract, message)
    if found:
        raise ContractViolation(contract, found)


def example(contract: str) -> dict[str, Any]:
    """The golden example message of a contract (schemas/examples/<contract>.json)."""
    path = SCHEMA_DIR / "examples" / f"{contract}.json"
    message: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return message
