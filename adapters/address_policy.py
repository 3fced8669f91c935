"""Which addresses the fetcher may connect to (pure): the SSRF guard's decision.

Checked after DNS resolution, for every address a name resolves to and on every redirect
hop, because a public name can point at 127.0.0.1 or at a cloud metadata service.

A refusal is a reason (a string), never an exception: the fetcher turns it into a
FetchFailure, and the article falls back to its feed's text.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True)
class SpecialRange:
    network: IPNetwork
    label: str  # what the range is, read after "is": "loopback (RFC 1122)"


def _special(*entries: tuple[str, str]) -> tuple[SpecialRange, ...]:
    return tuple(SpecialRange(ipaddress.ip_network(net), label) for net, label in entries)


# The IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates), multicast and
# the limited broadcast address. All of it is refused, the few entries IANA marks globally
# reachable included (anycast relays and DNS sinks): no news site lives there. Python's
# is_global is not enough on its own: it calls 192.0.0.192 global, for one.
# The first range that contains an address names it, so the narrower ones come first.
SPECIAL_IPV4 = _special(
    ("0.0.0.0/8", "'this network' (RFC 791)"),  # Linux connects 0.0.0.0 to this host
    ("10.0.0.0/8", "private-use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space of carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927), where cloud metadata services live"),
    ("172.16.0.0/12", "private-use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    ("192.31.196.0/24", "AS112 DNS sink (RFC 7535)"),
    ("192.52.193.0/24", "AMT relay anycast (RFC 7450)"),
    ("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private-use (RFC 1918)"),
    ("192.175.48.0/24", "AS112 direct delegation DNS sink (RFC 7534)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
    ("240.0.0.0/4", "reserved for future use (RFC 1112)"),
)

# The IANA IPv6 Special-Purpose Address Registry, with the address forms that embed an IPv4
# address but reach no translator worth trusting, site-local and multicast. IPv4-mapped,
# NAT64 well-known (64:ff9b::/96) and 6to4 (2002::/16) are not listed: they are judged by
# the IPv4 address they embed (see _embedded_ipv4).
SPECIAL_IPV6 = _special(
    ("::/128", "unspecified (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("::/96", "IPv4-compatible, deprecated (RFC 4291 section 2.5.5.1)"),
    ("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)"),
    ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001::/32", "Teredo (RFC 4380)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),
    ("2620:4f:8000::/48", "AS112 direct delegation DNS sink (RFC 7534)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "SRv6 segment identifiers (RFC 9602)"),
    ("fc00::/7", "unique-local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("fec0::/10", "site-local, deprecated (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)

# Only this part of the IPv6 space is allocated for global unicast (RFC 4291 section 2.4);
# the rest is reserved by the IETF.
GLOBAL_UNICAST_IPV6 = ipaddress.IPv6Network("2000::/3")

_COMPATIBLE = ipaddress.IPv6Network("::/96")
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")

# Forms through which a connection reaches the embedded IPv4 address and nothing else:
# a public embedded address makes the whole address acceptable.
_TRANSPARENT_FORMS = frozenset({"IPv4-mapped", "NAT64", "6to4"})


@dataclass(frozen=True)
class EmbeddedIPv4:
    address: ipaddress.IPv4Address
    form: str  # how it is embedded: "IPv4-mapped", "NAT64", "6to4", "Teredo client", ...


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """'127.0.0.1', '10.0.0.0/8', '::1' -> networks; ValueError names the bad entry."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs if spec.strip())


def name_refusal_reason(hostname: str) -> str | None:
    """Names that are loopback by definition (RFC 6761 section 6.3), whatever DNS says and
    whatever the allowlist holds: they are refused before any lookup. The name is compared in
    the form the resolver is handed (IDNA), so 'ｌｏｃａｌｈｏｓｔ' is 'localhost' here too."""
    name = _resolver_form(hostname).lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return f"{hostname} is a loopback name (RFC 6761 section 6.3)"
    return None


def _resolver_form(hostname: str) -> str:
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError:
        # As it is: an ASCII name goes to the resolver unchanged (IDNA refuses 'a..b'), and
        # a non-ASCII one that IDNA refuses cannot be looked up at all.
        return hostname


def port_refusal_reason(url: str) -> str | None:
    """None when the URL names no port or one from 1 to 65535 in ASCII digits; else why not.
    urllib reads port 0 as 'no port' (the default port, then) and raises ValueError on
    99999, -1 or 'abc': checked here first, those never reach it."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError as exc:
        return f"{url} cannot be parsed: {exc}"
    hostinfo = netloc.rpartition("@")[2]
    if hostinfo.startswith("["):
        after_host = hostinfo.partition("]")[2]
        if after_host and not after_host.startswith(":"):
            return f"{url} has {after_host!r} after its bracketed address, not ':port'"
        port = after_host[1:]
    else:
        port = hostinfo.partition(":")[2]
    if not port:
        return None  # no port, or an empty one: the scheme's default (RFC 3986 section 3.2.3)
    # isascii: str.isdigit is true of other scripts' digits, which int() would read; the
    # length check keeps int() away from a megabyte of digits (leading zeros counted off).
    digits = port.lstrip("0")
    if (
        not (port.isascii() and port.isdigit())
        or len(digits) > 5
        or not 1 <= int(digits or "0") <= 65535
    ):
        return f"port {port!r} of {url} is not a number from 1 to 65535"
    return None


def refusal_reason(address: IPAddress, allowlist: Sequence[IPNetwork]) -> str | None:
    """None when the address may be fetched, else why not. The operator's allowlist wins;
    then every IPv4 address embedded in an IPv6 one is judged (a NAT64 gateway or a 6to4
    relay connects to it), then the address's own special range, and only then is_global."""
    if _allowlisted(address, allowlist):
        return None
    if address.version == 4:
        label = _ipv4_refusal_label(address)
        return None if label is None else f"{address} is {label}"
    embedded = _embedded_ipv4(address)
    for inner in embedded:
        label = _ipv4_refusal_label(inner.address)
        if label is not None:
            return f"{address} ({inner.form}) embeds {inner.address} which is {label}"
    label = _special_label(address, SPECIAL_IPV6)
    if label is not None:
        return f"{address} is {label}"
    if any(inner.form in _TRANSPARENT_FORMS for inner in embedded):
        return None
    if address not in GLOBAL_UNICAST_IPV6:
        return f"{address} is outside the global unicast space 2000::/3 (RFC 4291)"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _allowlisted(address: IPAddress, allowlist: Sequence[IPNetwork]) -> bool:
    # ::ffff:127.0.0.1 is how a dual-stack socket sees 127.0.0.1: the same host.
    forms: list[IPAddress] = [address]
    if address.version == 6 and address.ipv4_mapped is not None:
        forms.append(address.ipv4_mapped)
    return any(form in net for form in forms for net in allowlist)


def _ipv4_refusal_label(address: ipaddress.IPv4Address) -> str | None:
    label = _special_label(address, SPECIAL_IPV4)
    if label is None and not address.is_global:
        label = "not a public address"
    return label


def _special_label(address: IPAddress, ranges: Sequence[SpecialRange]) -> str | None:
    return next((r.label for r in ranges if address in r.network), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[EmbeddedIPv4, ...]:
    """The IPv4 addresses an IPv6 address carries, each with the form that carries it."""
    last_32_bits = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    found: list[EmbeddedIPv4] = []
    if address.ipv4_mapped is not None:
        found.append(EmbeddedIPv4(address.ipv4_mapped, "IPv4-mapped"))
    # :: and ::1 are not IPv4-compatible addresses (RFC 4291 section 2.5.5.1).
    if address in _COMPATIBLE and int(address) > 1:
        found.append(EmbeddedIPv4(last_32_bits, "IPv4-compatible"))
    if address in _TRANSLATED:
        found.append(EmbeddedIPv4(last_32_bits, "IPv4-translated"))
    # RFC 6052: a /96 translation prefix carries the IPv4 address in the last 32 bits. The
    # local-use prefix is refused whole anyway (SPECIAL_IPV6); this names what it points at.
    if address in _NAT64_WELL_KNOWN:
        found.append(EmbeddedIPv4(last_32_bits, "NAT64"))
    if address in _NAT64_LOCAL_USE:
        found.append(EmbeddedIPv4(last_32_bits, "local-use NAT64"))
    if address.sixtofour is not None:
        found.append(EmbeddedIPv4(address.sixtofour, "6to4"))
    if address.teredo is not None:
        server, client = address.teredo  # the client's bits are stored inverted (RFC 4380)
        found += [EmbeddedIPv4(client, "Teredo client"), EmbeddedIPv4(server, "Teredo server")]
    return tuple(found)
