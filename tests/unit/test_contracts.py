import json
from typing import get_type_hints

import pytest

from schemas import contracts, messages
from schemas.topics import CONTRACT_OF_TOPIC, Topics

TYPES = {
    "entry.v1": messages.EntryMessage,
    "article.v1": messages.ArticleMessage,
    "deduped.v1": messages.DedupedMessage,
    "processed.v1": messages.ProcessedMessage,
    "story_event.v1": messages.StoryEventMessage,
    "dead_letter.v1": messages.DeadLetterMessage,
}


def _schema_properties(contract: str) -> tuple[set[str], set[str]]:
    """(all properties, required ones), following allOf references to other contracts."""
    schema = contracts.load_schema(contract)
    props, required = set(schema.get("properties", {})), set(schema.get("required", []))
    for part in schema.get("allOf", []):
        ref = part["$ref"].split(":")[-2] + "." + part["$ref"].split(":")[-1]
        more_props, more_required = _schema_properties(ref)
        props |= more_props
        required |= more_required
    return props, required


@pytest.mark.parametrize("contract", contracts.CONTRACTS)
def test_golden_example_is_valid(contract: str) -> None:
    assert contracts.problems(contract, contracts.example(contract)) == []


@pytest.mark.parametrize("contract", contracts.CONTRACTS)
def test_python_type_matches_schema(contract: str) -> None:
    typed = TYPES[contract]
    props, required = _schema_properties(contract)
    assert set(get_type_hints(typed)) == props
    assert typed.__required_keys__ == required  # type: ignore[attr-defined]


@pytest.mark.parametrize("contract", contracts.CONTRACTS)
def test_every_required_field_is_enforced(contract: str) -> None:
    golden = contracts.example(contract)
    _, required = _schema_properties(contract)
    for field in required:
        broken = {k: v for k, v in golden.items() if k != field}
        assert contracts.problems(contract, broken), (
            f"{contract} accepted a message without {field}"
        )


def test_wrong_types_are_reported_all_at_once() -> None:
    broken = dict(
        contracts.example("article.v1"), article_id="XYZ", paragraphs="one", schema_version=2
    )
    found = contracts.problems("article.v1", broken)
    assert len(found) == 3
    assert any(p.startswith("article_id") for p in found)


def test_messages_are_json_any_client_can_read() -> None:
    for contract in contracts.CONTRACTS:
        text = json.dumps(contracts.example(contract), ensure_ascii=False)
        assert json.loads(text) == contracts.example(contract)


def test_every_topic_has_a_contract_and_a_version_in_its_name() -> None:
    topics = Topics("x.")
    assert len(topics.all()) == len(CONTRACT_OF_TOPIC) == len(contracts.CONTRACTS)
    for name in topics.all():
        assert name.startswith("x.news.") and name.rsplit(".", 1)[1].startswith("v")
        assert topics.contract_of(name) in contracts.CONTRACTS
