"""Canonical URLs and the article id derived from them (pure).

The same article reached through a tracking link, another case of host name or a fragment
must get one id, because the id is the Kafka key and the unit of every verdict.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ocid",
        "cmpid",
        "ito",
        "at_medium",
        "at_campaign",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidUrl(ValueError):
    """Not an absolute http(s) URL."""


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _host(hostname: str) -> str:
    # IDNA (RFC 5891) so that a Unicode host and its punycode form are one host.
    try:
        return hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidUrl(f"host {hostname!r} is not a valid IDNA name") from exc


def canonical_url(url: str) -> str:
    """Lowercase scheme and host, IDNA host, no default port, no fragment, no tracking params."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidUrl(f"not an absolute http(s) URL: {url!r}")
    host = _host(parts.hostname)
    if ":" in host:
        host = f"[{host}]"  # an IPv6 literal keeps its brackets
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"bad port in {url!r}") from exc
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def article_id(canonical: str) -> str:
    """Stable 128-bit id of a canonical URL, as 32 hex digits."""
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()
