"""robots.txt (RFC 9309): what an answer means, the per-origin cache, and the extract stage
that takes the feed's text instead of a disallowed page."""

import json

import pytest

from ingest.extract_stage import ExtractStage, FetchOnDemand
from ingest.fetching import FetchFailure, FetchResponse
from ingest.robots import ERROR_RETRY_S, RULES_TTL_S, RobotsPolicy, rules_from
from schemas.contracts import example
from schemas.topics import Topics
from tests.fakes import ScriptedFetch, record

UA = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
ROBOTS = b"""User-agent: *
Disallow: /private/

User-agent: newsflow
Disallow: /members/
Allow: /members/free/
"""


def _answer(status: int, body: bytes = b"") -> FetchResponse:
    return FetchResponse(status, "https://news.example.org/robots.txt", {}, body)


# (name, answer, url, allowed, seconds the answer is kept)
CASES = [
    (
        "rules-disallow-for-us",
        _answer(200, ROBOTS),
        "https://news.example.org/members/a",
        False,
        RULES_TTL_S,
    ),
    (
        "rules-allow-inside-disallow",
        _answer(200, ROBOTS),
        "https://news.example.org/members/free/a",
        True,
        RULES_TTL_S,
    ),
    (
        "our-group-replaces-star",
        _answer(200, ROBOTS),
        "https://news.example.org/private/a",
        True,
        RULES_TTL_S,
    ),
    (
        "rules-allow-the-rest",
        _answer(200, ROBOTS),
        "https://news.example.org/world/a",
        True,
        RULES_TTL_S,
    ),
    ("404-means-no-rules", _answer(404), "https://news.example.org/members/a", True, RULES_TTL_S),
    (
        "fetcher-404-failure-means-no-rules",
        FetchFailure("u", "gone", "http_status", 404),
        "https://news.example.org/a",
        True,
        RULES_TTL_S,
    ),
    (
        "5xx-means-disallow-for-now",
        _answer(503),
        "https://news.example.org/world/a",
        False,
        ERROR_RETRY_S,
    ),
    (
        "unreachable-means-disallow-for-now",
        FetchFailure("u", "timed out", "timeout"),
        "https://news.example.org/a",
        False,
        ERROR_RETRY_S,
    ),
]


@pytest.mark.parametrize(
    ("answer", "url", "allowed", "kept_s"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rules_from_an_answer(
    answer: FetchResponse | FetchFailure, url: str, allowed: bool, kept_s: float
) -> None:
    rules = rules_from(answer, now=100.0)
    assert rules.allows(UA, url) is allowed
    assert rules.expires_at == 100.0 + kept_s


def test_policy_reads_robots_txt_once_per_origin_until_it_expires() -> None:
    fetch = ScriptedFetch({"https://news.example.org/robots.txt": _answer(200, ROBOTS)})
    now = [0.0]
    policy = RobotsPolicy(fetch, UA, clock=lambda: now[0])
    assert not policy.allows("https://news.example.org/members/a")
    assert policy.allows("https://news.example.org/world/b")
    assert policy.allows("https://other.example.org/members/a")  # no robots.txt there: 404
    assert [url for url, _ in fetch.requests] == [
        "https://news.example.org/robots.txt",
        "https://other.example.org/robots.txt",
    ]
    now[0] = RULES_TTL_S + 1
    policy.allows("https://news.example.org/world/c")
    assert len(fetch.requests) == 3  # read again after 24 hours


def _entry(**extra: object) -> dict[str, object]:
    entry = dict(example("entry.v1"))
    entry.update(
        url="https://news.example.org/members/story",
        content="<p>The feed's own full text of the story, long enough to stand as the body of the article.</p>",
    )
    entry.update(extra)
    return entry


def test_a_disallowed_page_is_not_fetched_and_the_feed_text_is_used() -> None:
    fetch = ScriptedFetch({"https://news.example.org/robots.txt": _answer(200, ROBOTS)})
    stage = ExtractStage(FetchOnDemand(fetch), Topics(), robots=RobotsPolicy(fetch, UA))
    [out] = stage.handle(_entry(), record(b""))
    article = json.loads(out.value)
    assert article["robots_disallowed"] is True
    assert article["body_source"] == "feed_content"
    assert [url for url, _ in fetch.requests] == ["https://news.example.org/robots.txt"]


def test_a_feed_can_switch_robots_txt_off() -> None:
    fetch = ScriptedFetch({"https://news.example.org/robots.txt": _answer(200, ROBOTS)})
    stage = ExtractStage(FetchOnDemand(fetch), Topics(), robots=RobotsPolicy(fetch, UA))
    [out] = stage.handle(_entry(obey_robots_txt=False), record(b""))
    assert "robots_disallowed" not in json.loads(out.value)
    assert [url for url, _ in fetch.requests] == ["https://news.example.org/members/story"]
