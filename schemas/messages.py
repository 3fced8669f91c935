"""Python types of the messages. tests/unit/test_contracts.py checks them against the schemas."""

# No `from __future__ import annotations` here: TypedDict must see NotRequired at runtime
# to fill __required_keys__, which tests/unit/test_contracts.py compares with the schemas.

from typing import Any, Literal, NotRequired, TypedDict

BodySource = Literal["page", "page_description", "feed_content", "feed_summary"]
Relation = Literal["original", "exact_duplicate", "near_duplicate", "partial_reprint", "update"]
DedupeMethod = Literal["none", "content_hash", "minhash", "same_url"]
DuplicationPattern = Literal[
    "none", "adjacent_doubling", "whole_body_repeat", "repeated_blocks", "interleaved"
]
LanguageSource = Literal["text", "feed_hint", "page", "none"]


class EntryMessage(TypedDict):
    schema_version: Literal[1]
    article_id: str
    url: str
    entry_url: str
    feed_url: str
    outlet: str
    title: str
    seen_at: str
    guid: NotRequired[str | None]
    summary: NotRequired[str | None]
    content: NotRequired[str | None]
    published: NotRequired[str | None]
    language_hint: NotRequired[str | None]
    feed_tags: NotRequired[list[str]]
    obey_robots_txt: NotRequired[bool]
    truncated: NotRequired[bool]
    fetch: NotRequired[bool]


class ArticleMessage(TypedDict):
    schema_version: Literal[1]
    article_id: str
    url: str
    feed_url: str
    outlet: str
    title: str
    body: str
    paragraphs: list[str]
    body_source: BodySource
    seen_at: str
    extracted_at: str
    fetched_url: NotRequired[str | None]
    author: NotRequired[str | None]
    site_name: NotRequired[str | None]
    published: NotRequired[str | None]
    language_hint: NotRequired[str | None]
    feed_tags: NotRequired[list[str]]
    page_language: NotRequired[str | None]
    page_paragraphs: NotRequired[list[str]]
    robots_disallowed: NotRequired[bool]
    truncated: NotRequired[bool]
    original_body_bytes: NotRequired[int]
    page_canonical_url: NotRequired[str | None]
    image: NotRequired[str | None]
    page_categories: NotRequired[list[str]]
    page_tags: NotRequired[list[str]]
    paywalled: NotRequired[bool]


class DedupeVerdict(TypedDict):
    relation: Relation
    duplicate_of: str | None
    cluster_id: str
    score: float
    method: DedupeMethod
    content_hash: str
    cross_outlet: bool | None
    containment: NotRequired[float | None]


class RepeatEvidence(TypedDict):
    index: int
    first_index: int
    similarity: float


class InternalDuplicationReport(TypedDict):
    detected: bool
    pattern: DuplicationPattern
    found_in: Literal["none", "body", "page", "body_and_page"]
    repeats: list[RepeatEvidence]
    repeated_share: float
    original_paragraph_count: int


class DedupedMessage(ArticleMessage):
    dedupe: DedupeVerdict
    internal_duplication: InternalDuplicationReport


TagField = Literal["title", "body"]
MatchedAs = Literal["name", "demonym", "city", "alias", "phrase"]


class Evidence(TypedDict):
    text: str  # the words matched, folded (case kept)
    field: TagField
    paragraph: int  # index into the body's paragraphs; 0 for the title
    matched_as: MatchedAs
    rule: NotRequired[str]  # places only: the context rule that kept the mention


class PlaceTag(TypedDict):
    id: str  # ISO 3166-1 alpha-2 for a country, "geonames:<id>" for a city
    kind: Literal["country", "city"]
    name: str  # English name
    country: str  # ISO 3166-1 alpha-2
    mentions: int
    confidence: NotRequired[float]  # of its surest mention: 1.0 name or city, 0.9 demonym...
    rule: NotRequired[str]  # the rule that kept that mention
    evidence: list[Evidence]


class EntityTag(TypedDict):
    name: str  # canonical name from the watch list
    kind: str  # as the watch list says: person, organization, ...
    mentions: int
    evidence: list[Evidence]


class TopicTag(TypedDict):
    id: str
    evidence: list[Evidence]


class SourceTags(TypedDict):
    outlet: str
    feed_tags: list[str]


class TagSet(TypedDict):
    language: str | None
    language_source: LanguageSource
    language_score: NotRequired[float | None]
    script: NotRequired[str | None]
    direction: NotRequired[Literal["ltr", "rtl"] | None]
    places: NotRequired[list[PlaceTag]]
    entities: NotRequired[list[EntityTag]]
    topics: NotRequired[list[TopicTag]]
    keywords: NotRequired[list[str]]
    source: NotRequired[SourceTags]


StoryRole = Literal["first", "copy", "rewrite", "part"]


class StoryMatch(TypedDict):
    article_id: str
    outlet: str
    lead_similarity: float


class StoryAssignment(TypedDict):
    """The `story` of a processed article (docs/stories.md)."""

    story_id: str
    role: StoryRole
    score: float
    matched: list[StoryMatch]
    evidence: dict[str, Any]
    size: int
    outlets: int
    reason: Literal["no_text", "too_short"] | None
    merged: NotRequired[list[str]]


class ProcessedMessage(DedupedMessage):
    tags: TagSet
    processed_at: str
    story: NotRequired[StoryAssignment]


class StoryEventMessage(TypedDict):
    schema_version: Literal["story_event.v1"]
    event: Literal["opened", "grew", "merged"]
    story_id: str
    article_id: str
    role: StoryRole
    size: int
    outlets: int
    outlet: str
    title: str
    url: NotRequired[str]
    merged_into: NotRequired[str]
    at: str


class DeadLetterMessage(TypedDict):
    schema_version: Literal[1]
    stage: str
    error_type: str
    error: str
    source_topic: str
    source_partition: int
    source_offset: int
    failed_at: str
    key: NotRequired[str | None]
    value_text: NotRequired[str | None]
    value_base64: NotRequired[str | None]
    article_id: NotRequired[str]
    url: NotRequired[str]
    size_bytes: NotRequired[int]
    value_omitted_bytes: NotRequired[int]
