"""Which addresses the fetcher may connect to (pure): the SSRF guard's decision.

Checked after DNS resolution, for every address a name resolves to and on every redirect
hop, because a public name can point at 127.0.0.1 or at a cloud metadata service.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """'127.0.0.1', '10.0.0.0/8', '::1' -> networks; ValueError names the bad entry."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs if spec.strip())


def name_refusal_reason(hostname: str) -> str | None:
    """Names that are loopback by definition (RFC 6761 section 6.3), whatever DNS says."""
    name = hostname.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return f"{hostname} is a loopback name"
    return None


def refusal_reason(address: IPAddress, allowlist: Sequence[IPNetwork]) -> str | None:
    """None when the address may be fetched, else why not."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in allowlist):
        return None
    if address.is_global and not address.is_multicast:
        return None
    for label, flag in (
        ("loopback", address.is_loopback),
        ("link-local (cloud metadata lives here)", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return f"{address} is {label}"
    return f"{address} is not a public address"
