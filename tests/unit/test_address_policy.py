"""The SSRF guard's decision, on address forms an attacker would try (resolved by the OS
resolver exactly as the fetcher resolves them; numeric forms need no network, and names
refused by name are never looked up)."""

import ipaddress
import socket
from typing import Any

import pytest

from adapters.address_policy import (
    parse_networks,
    port_refusal_reason,
    refusal_reason,
)
from adapters.http_fetch import FetchAbort, RedirectChain, check_destination

# (id, URL, a distinctive part of the reason it is refused with)
REFUSED_URLS = [
    # IPv4, in every spelling inet_aton accepts
    ("loopback", "http://127.0.0.1/", "127.0.0.1 is loopback"),
    ("loopback-other", "http://127.9.9.9/", "127.9.9.9 is loopback"),
    ("decimal-ipv4", "http://2130706433/", "127.0.0.1 is loopback"),
    ("octal-ipv4", "http://0177.0.0.1/", "127.0.0.1 is loopback"),
    ("hex-ipv4", "http://0x7f.0.0.1/", "127.0.0.1 is loopback"),
    ("short-ipv4", "http://127.1/", "127.0.0.1 is loopback"),
    ("zero-padded-ipv4", "http://127.000.000.001/", "127.0.0.1 is loopback"),
    ("hex-ipv4-single-number", "http://0x7f000001/", "127.0.0.1 is loopback"),
    ("octal-ipv4-single-number", "http://017700000001/", "127.0.0.1 is loopback"),
    ("unspecified-v4", "http://0.0.0.0/", "0.0.0.0 is 'this network'"),
    ("this-network", "http://0.1.2.3/", "0.1.2.3 is 'this network'"),
    ("private-10", "http://10.1.2.3/", "private-use (RFC 1918)"),
    ("private-172", "http://172.16.5.4/", "private-use (RFC 1918)"),
    ("private-172-top", "http://172.31.255.255/", "private-use (RFC 1918)"),
    ("private-192", "http://192.168.1.1/", "private-use (RFC 1918)"),
    ("metadata", "http://169.254.169.254/latest/meta-data/", "link-local"),
    ("carrier-nat", "http://100.64.0.1/", "shared address space"),
    ("carrier-nat-top", "http://100.127.255.254/", "shared address space"),
    ("ietf-protocol-assignments", "http://192.0.0.1/", "IETF protocol assignments"),
    ("ietf-protocol-192-0-0-192", "http://192.0.0.192/", "IETF protocol assignments"),
    ("ietf-protocol-pcp-anycast", "http://192.0.0.9/", "IETF protocol assignments"),
    ("test-net-1", "http://192.0.2.1/", "TEST-NET-1"),
    ("test-net-2", "http://198.51.100.7/", "TEST-NET-2"),
    ("test-net-3", "http://203.0.113.5/", "TEST-NET-3"),
    ("benchmarking-range", "http://198.18.0.1/", "benchmarking"),
    ("benchmarking-range-top", "http://198.19.255.254/", "benchmarking"),
    ("6to4-relay-anycast", "http://192.88.99.1/", "6to4 relay anycast"),
    ("as112", "http://192.31.196.1/", "AS112"),
    ("as112-direct-delegation", "http://192.175.48.1/", "AS112 direct delegation"),
    ("amt", "http://192.52.193.1/", "AMT"),
    ("multicast", "http://224.0.0.1/", "multicast"),
    ("multicast-ssdp", "http://239.255.255.250/", "multicast"),
    ("reserved", "http://240.0.0.1/", "reserved for future use"),
    ("reserved-top", "http://255.255.255.254/", "reserved for future use"),
    ("broadcast", "http://255.255.255.255/", "limited broadcast"),
    # IPv6
    ("loopback-v6", "http://[::1]/", "::1 is loopback"),
    ("loopback-v6-long-form", "http://[0:0:0:0:0:0:0:1]/", "::1 is loopback"),
    ("unspecified-v6", "http://[::]/", ":: is unspecified"),
    ("link-local-v6", "http://[fe80::1]/", "link-local"),
    ("link-local-v6-top", "http://[febf::1]/", "link-local"),
    ("site-local-v6", "http://[fec0::1]/", "site-local, deprecated"),
    ("unique-local-fc00", "http://[fc00::1]/", "unique-local"),
    ("unique-local-fd", "http://[fd12:3456::1]/", "unique-local"),
    ("multicast-v6", "http://[ff02::1]/", "multicast"),
    ("multicast-v6-site", "http://[ff05::2]/", "multicast"),
    ("documentation-v6", "http://[2001:db8::1]/", "documentation (RFC 3849)"),
    ("documentation-v6-3fff", "http://[3fff::1]/", "documentation (RFC 9637)"),
    ("discard-only", "http://[100::1]/", "discard-only"),
    ("benchmarking-v6", "http://[2001:2::1]/", "IETF protocol assignments"),
    ("orchid-v6", "http://[2001:20::1]/", "IETF protocol assignments"),
    ("srv6-sid", "http://[5f00::1]/", "SRv6"),
    ("as112-v6", "http://[2620:4f:8000::1]/", "AS112"),
    ("reserved-by-ietf-v6", "http://[4000::1]/", "outside the global unicast space"),
    # IPv4 embedded in IPv6: the IPv4 address is judged too
    ("mapped-loopback", "http://[::ffff:127.0.0.1]/", "(IPv4-mapped) embeds 127.0.0.1"),
    ("mapped-v6-private", "http://[::ffff:10.0.0.1]/", "embeds 10.0.0.1 which is private-use"),
    ("mapped-long-form", "http://[0:0:0:0:0:ffff:7f00:1]/", "embeds 127.0.0.1 which is loopback"),
    ("mapped-metadata", "http://[::ffff:a9fe:a9fe]/", "embeds 169.254.169.254 which is link-local"),
    ("compatible-loopback", "http://[::127.0.0.1]/", "(IPv4-compatible) embeds 127.0.0.1"),
    ("compatible-metadata", "http://[::169.254.169.254]/", "compatible) embeds 169.254.169.254"),
    ("compatible-public", "http://[::8.8.8.8]/", "IPv4-compatible, deprecated"),
    ("compatible-this-network", "http://[::2]/", "embeds 0.0.0.2 which is 'this network'"),
    ("translated-loopback", "http://[::ffff:0:127.0.0.1]/", "(IPv4-translated) embeds 127.0.0.1"),
    ("translated-public", "http://[::ffff:0:8.8.8.8]/", "IPv4-translated (RFC 2765)"),
    ("nat64-metadata", "http://[64:ff9b::a9fe:a9fe]/", "(NAT64) embeds 169.254.169.254"),
    ("nat64-loopback", "http://[64:ff9b::127.0.0.1]/", "(NAT64) embeds 127.0.0.1"),
    ("nat64-private", "http://[64:ff9b::10.0.0.1]/", "embeds 10.0.0.1 which is private-use"),
    ("nat64-ietf-protocol", "http://[64:ff9b::c000:c0]/", "embeds 192.0.0.192 which is IETF"),
    ("nat64-local-metadata", "http://[64:ff9b:1::a9fe:a9fe]/", "(local-use NAT64) embeds 169.254"),
    ("nat64-local-public", "http://[64:ff9b:1::808:808]/", "local-use NAT64 (RFC 8215)"),
    ("6to4-loopback", "http://[2002:7f00:1::]/", "(6to4) embeds 127.0.0.1 which is loopback"),
    ("6to4-metadata", "http://[2002:a9fe:a9fe::1]/", "embeds 169.254.169.254 which is link-local"),
    ("6to4-private", "http://[2002:c0a8:101::]/", "embeds 192.168.1.1 which is private-use"),
    ("teredo-client-loopback", "http://[2001:0:808:808::80ff:fffe]/", "client) embeds 127.0.0.1"),
    ("teredo-client-metadata", "http://[2001:0:808:808::5601:5601]/", "embeds 169.254.169.254"),
    ("teredo-server-private", "http://[2001:0:a00:1::7f7f:7f7f]/", "server) embeds 10.0.0.1"),
    ("teredo-all-public", "http://[2001:0:808:808::f7f7:f7f7]/", "Teredo (RFC 4380)"),
    # ports: only 1 to 65535, in ASCII digits
    ("port-zero", "http://8.8.8.8:0/", "port '0'"),
    ("port-negative", "http://8.8.8.8:-1/", "port '-1'"),
    ("port-too-big", "http://8.8.8.8:99999/", "port '99999'"),
    ("port-just-too-big", "http://8.8.8.8:65536/", "port '65536'"),
    ("port-letters", "http://8.8.8.8:abc/", "port 'abc'"),
    ("port-plus-sign", "http://8.8.8.8:+80/", "port '+80'"),
    ("port-arabic-indic-digits", "http://8.8.8.8:٨٠/", "not a number from 1 to 65535"),
    ("port-two-colons", "http://8.8.8.8:1:2/", "port '1:2'"),
    ("port-zero-v6", "http://[2606:4700::1111]:0/", "port '0'"),
    ("junk-after-bracket", "http://[2606:4700::1111]x/", "after its bracketed address"),
    # names that are loopback by definition, however spelled (RFC 6761 section 6.3)
    ("localhost-name", "http://localhost/", "loopback name"),
    ("localhost-upper-case", "http://LOCALHOST/", "loopback name"),
    ("localhost-trailing-dot", "http://localhost./", "loopback name"),
    ("localhost-subdomain", "http://api.localhost/", "loopback name"),
    ("localhost-deep-subdomain", "http://a.b.localhost./", "loopback name"),
    ("localhost-fullwidth", "http://ｌｏｃａｌｈｏｓｔ/", "loopback name"),
    ("localhost-ideographic-dot", "http://api。localhost/", "loopback name"),
    # what is not an http(s) URL with a host
    ("file-scheme", "file:///etc/passwd", "only http(s)"),
    ("ftp-scheme", "ftp://example.org/", "only http(s)"),
    ("gopher-scheme", "gopher://127.0.0.1/", "only http(s)"),
    ("no-host", "http:///feed.xml", "only http(s)"),
    ("unclosed-bracket", "http://[::1/", "cannot be parsed"),
]


@pytest.mark.parametrize(
    ("url", "reason"), [(u, r) for _, u, r in REFUSED_URLS], ids=[n for n, _, _ in REFUSED_URLS]
)
def test_destination_is_refused_with_its_reason(url: str, reason: str) -> None:
    with pytest.raises(FetchAbort) as refused:
        check_destination(url, ())
    assert refused.value.kind == "refused"
    assert reason in refused.value.reason


ALLOWED_URLS = [
    ("public-v4", "http://8.8.8.8/"),
    ("public-v4-other", "http://1.1.1.1/"),
    ("next-to-shared-space", "http://100.128.0.1/"),
    ("next-to-private-172", "http://172.32.0.1/"),
    ("next-to-benchmarking", "http://198.20.0.1/"),
    ("next-to-ietf-protocol", "http://192.0.1.1/"),
    ("public-v6", "http://[2001:4860:4860::8888]/"),
    ("public-v6-cloudflare", "http://[2606:4700::1111]/"),
    ("mapped-public", "http://[::ffff:8.8.8.8]/"),
    ("nat64-public", "http://[64:ff9b::808:808]/"),
    ("6to4-public", "http://[2002:808:808::1]/"),
    ("port-ordinary", "http://8.8.8.8:8080/"),
    ("port-highest", "http://8.8.8.8:65535/"),
    ("port-lowest", "https://8.8.8.8:1/"),
    ("port-leading-zero", "http://8.8.8.8:080/"),
    ("port-empty", "http://8.8.8.8:/"),
    ("port-v6", "http://[2606:4700::1111]:8443/"),
    ("user-info-with-colon", "http://user:0@8.8.8.8/"),
]


@pytest.mark.parametrize("url", [u for _, u in ALLOWED_URLS], ids=[n for n, _ in ALLOWED_URLS])
def test_public_destination_passes(url: str) -> None:
    destination = check_destination(url, ())
    assert refusal_reason(ipaddress.ip_address(destination.address), ()) is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.example/", None),
        ("http://a.example:/", None),
        ("http://a.example:443/", None),
        ("http://u:p@a.example:8080/", None),
        ("http://[::1]:8080/", None),
        ("http://a.example:0/", "port '0' of http://a.example:0/ is not a number from 1 to 65535"),
        ("http://a.example:99999/", "port '99999'"),
        ("http://a.example:" + "9" * 5000 + "/", "is not a number from 1 to 65535"),
        ("http://[::1]:/", None),
        ("http://[::1]:x/", "port 'x'"),
        ("http://[::1/", "cannot be parsed"),
    ],
    ids=[
        "none",
        "empty",
        "https-default",
        "user-info",
        "v6",
        "zero",
        "too-big",
        "five-thousand-digits",
        "v6-empty",
        "v6-letters",
        "unclosed-bracket",
    ],
)
def test_port_refusal_reason(url: str, expected: str | None) -> None:
    reason = port_refusal_reason(url)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None and expected in reason


def test_allowlist_lets_local_servers_through() -> None:
    allow = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    destination = check_destination("http://127.0.0.1:8765/feed.xml?x=1", allow)
    assert destination.path() == "/feed.xml?x=1"
    assert refusal_reason(ipaddress.ip_address("10.2.3.4"), allow) is None
    assert refusal_reason(ipaddress.ip_address("::ffff:127.0.0.1"), allow) is None
    assert refusal_reason(ipaddress.ip_address("192.168.0.1"), allow) is not None


def test_allowlist_does_not_reach_through_a_translator() -> None:
    """A NAT64 gateway or 6to4 relay would connect to its own 127.0.0.1, not ours."""
    allow = parse_networks(["127.0.0.1"])
    for address in ("64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1"):
        reason = refusal_reason(ipaddress.ip_address(address), allow)
        assert reason is not None and "embeds 127.0.0.1 which is loopback" in reason


@pytest.mark.parametrize("url", ["http://localhost:8765/", "http://feeds.localhost:8765/"])
def test_localhost_is_refused_by_name_before_any_lookup_even_with_an_allowlist(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []

    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        looked_up.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 8765))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(FetchAbort) as refused:
        check_destination(url, parse_networks(["127.0.0.1"]))
    assert refused.value.kind == "refused" and "loopback name" in refused.value.reason
    assert looked_up == []


def test_a_bad_port_is_refused_even_on_an_allowlisted_address() -> None:
    allow = parse_networks(["127.0.0.1"])
    for port in ("0", "-1", "99999", "abc"):
        with pytest.raises(FetchAbort) as refused:
            check_destination(f"http://127.0.0.1:{port}/x", allow)
        assert refused.value.kind == "refused" and f"port '{port}'" in refused.value.reason


def test_an_unparseable_redirect_location_is_refused() -> None:
    chain = RedirectChain("http://127.0.0.1:8765/a", deadline=0.0)
    with pytest.raises(FetchAbort) as refused:
        chain.answered(302, {"location": "http://[::1/x"}, b"", max_redirects=5)
    assert refused.value.kind == "refused" and "http://[::1/x" in refused.value.reason


def test_reason_names_the_kind_of_address() -> None:
    reason = refusal_reason(ipaddress.ip_address("169.254.169.254"), ())
    assert reason is not None and "link-local" in reason


def test_a_port_of_thousands_of_leading_zeros_is_refused_not_raised() -> None:
    # int() refuses strings of more than 4,300 digits: the zeros are counted off first.
    assert port_refusal_reason("http://example.com:" + "0" * 5000 + "80/") is None
    reason = port_refusal_reason("http://example.com:" + "0" * 5000 + "99999/")
    assert reason is not None and "1 to 65535" in reason
