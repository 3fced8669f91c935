"""Load the JSON Schemas and validate messages against them (producers before sending,
consumers after receiving)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA_DIR = Path(__file__).resolve().parent
CONTRACTS = (
    "entry.v1",
    "article.v1",
    "deduped.v1",
    "processed.v1",
    "story_event.v1",
    "dead_letter.v1",
)


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
def _registry() -> jsonschema_rs.Registry:
    schemas = (load_schema(contract) for contract in CONTRACTS)
    return jsonschema_rs.Registry([(schema["$id"], schema) for schema in schemas])


@cache
def validator(contract: str) -> jsonschema_rs.Validator:
    # jsonschema-rs (Rust): every message is checked on both sides of every topic, and the
    # pure-Python jsonschema took two orders of magnitude longer per article message.
    return jsonschema_rs.validator_for(load_schema(contract), registry=_registry())


def problems(contract: str, message: Mapping[str, Any]) -> list[str]:
    """Every way `message` breaks the contract, as readable lines; empty when it is valid."""
    errors = sorted(validator(contract).iter_errors(message), key=lambda e: list(e.instance_path))
    return [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}" for e in errors]


def check(contract: str, message: Mapping[str, Any]) -> None:
    if not validator(contract).is_valid(message):
        raise ContractViolation(contract, problems(contract, message))


def example(contract: str) -> dict[str, Any]:
    """The golden example message of a contract (schemas/examples/<contract>.json)."""
    path = SCHEMA_DIR / "examples" / f"{contract}.json"
    message: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return message
