import pytest

from ingest.canonical_url import InvalidUrl, article_id, canonical_url

CASES = [
    (
        "lowercase-scheme-and-host",
        "HTTPS://News.Example.ORG/World",
        "https://news.example.org/World",
    ),
    ("default-port-dropped", "https://example.org:443/a", "https://example.org/a"),
    ("other-port-kept", "http://example.org:8080/a", "http://example.org:8080/a"),
    ("fragment-dropped", "https://example.org/a#comments", "https://example.org/a"),
    (
        "utm-dropped",
        "https://example.org/a?utm_source=rss&utm_medium=feed",
        "https://example.org/a",
    ),
    (
        "click-ids-dropped",
        "https://example.org/a?fbclid=x&gclid=y&id=7",
        "https://example.org/a?id=7",
    ),
    ("order-of-real-params-kept", "https://example.org/a?b=2&a=1", "https://example.org/a?b=2&a=1"),
    ("empty-path-is-root", "https://example.org", "https://example.org/"),
    ("idna-host", "https://bücher.example/x", "https://xn--bcher-kva.example/x"),
    ("arabic-host", "https://مثال.example/خبر", "https://xn--mgbh0fb.example/خبر"),
    ("ipv6-literal", "http://[2001:db8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
    ("surrounding-space", "  https://example.org/a  ", "https://example.org/a"),
]


@pytest.mark.parametrize(("given", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_canonical_url(given: str, expected: str) -> None:
    assert canonical_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["ftp://example.org/a", "/relative/path", "mailto:desk@example.org", "https://"]
)
def test_non_http_urls_are_refused(bad: str) -> None:
    with pytest.raises(InvalidUrl):
        canonical_url(bad)


def test_article_id_is_stable_and_shared_by_equivalent_urls() -> None:
    a = article_id(canonical_url("https://Example.org/a?utm_campaign=x#top"))
    b = article_id(canonical_url("https://example.org/a"))
    assert a == b
    assert len(a) == 32 and int(a, 16) >= 0
    assert a != article_id(canonical_url("https://example.org/b"))
