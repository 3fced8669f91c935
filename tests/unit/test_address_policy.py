"""The SSRF guard's decision, on address forms an attacker would try (resolved by the OS
resolver exactly as the fetcher resolves them; numeric forms need no network)."""

import ipaddress

import pytest

from adapters.address_policy import parse_networks, refusal_reason
from adapters.http_fetch import FetchAbort, check_destination

REFUSED_URLS = [
    ("loopback", "http://127.0.0.1/"),
    ("loopback-other", "http://127.9.9.9/"),
    ("decimal-ipv4", "http://2130706433/"),
    ("octal-ipv4", "http://0177.0.0.1/"),
    ("hex-ipv4", "http://0x7f.0.0.1/"),
    ("short-ipv4", "http://127.1/"),
    ("unspecified-v4", "http://0.0.0.0/"),
    ("unspecified-v6", "http://[::]/"),
    ("loopback-v6", "http://[::1]/"),
    ("mapped-v6-loopback", "http://[::ffff:127.0.0.1]/"),
    ("mapped-v6-private", "http://[::ffff:10.0.0.1]/"),
    ("private-10", "http://10.1.2.3/"),
    ("private-172", "http://172.16.5.4/"),
    ("private-192", "http://192.168.1.1/"),
    ("metadata", "http://169.254.169.254/latest/meta-data/"),
    ("link-local-v6", "http://[fe80::1]/"),
    ("unique-local-v6", "http://[fd00::1]/"),
    ("carrier-nat", "http://100.64.0.1/"),
    ("multicast", "http://224.0.0.1/"),
    ("broadcast", "http://255.255.255.255/"),
    ("reserved", "http://240.0.0.1/"),
    ("zero-padded-ipv4", "http://127.000.000.001/"),
    ("hex-ipv4-single-number", "http://0x7f000001/"),
    ("octal-ipv4-single-number", "http://017700000001/"),
    ("mapped-v6-long-form", "http://[0:0:0:0:0:ffff:7f00:1]/"),
    ("unique-local-fc00", "http://[fc00::1]/"),
    ("ietf-protocol-assignments", "http://192.0.0.1/"),
    ("benchmarking-range", "http://198.18.0.1/"),
    ("documentation-range", "http://203.0.113.5/"),
    ("localhost-name", "http://localhost/"),
    ("localhost-subdomain", "http://api.localhost/"),
    ("file-scheme", "file:///etc/passwd"),
    ("ftp-scheme", "ftp://example.org/"),
    ("gopher-scheme", "gopher://127.0.0.1/"),
]


@pytest.mark.parametrize("url", [u for _, u in REFUSED_URLS], ids=[n for n, _ in REFUSED_URLS])
def test_destination_is_refused(url: str) -> None:
    with pytest.raises(FetchAbort) as refused:
        check_destination(url, ())
    assert refused.value.kind == "refused"


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address), ()) is None


def test_allowlist_lets_local_servers_through() -> None:
    allow = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    destination = check_destination("http://127.0.0.1:8765/feed.xml?x=1", allow)
    assert destination.path() == "/feed.xml?x=1"
    assert refusal_reason(ipaddress.ip_address("10.2.3.4"), allow) is None
    assert refusal_reason(ipaddress.ip_address("192.168.0.1"), allow) is not None


def test_reason_names_the_kind_of_address() -> None:
    reason = refusal_reason(ipaddress.ip_address("169.254.169.254"), ())
    assert reason is not None and "link-local" in reason
