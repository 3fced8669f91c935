"""HTTP GET for feeds and pages, with the limits a crawler of untrusted URLs needs.

- every hop of a redirect chain is checked by the SSRF policy after DNS resolution;
- connect/read timeouts plus a total deadline; a body cap counted on decompressed bytes
  (a gzip bomb stops at the cap); a redirect cap;
- conditional GET: validators are sent back exactly as received (RFC 9110 section 13.1).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from adapters.address_policy import (
    ALLOWED_SCHEMES,
    IPNetwork,
    name_refusal_reason,
    refusal_reason,
)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    total_timeout_s: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow)"
    allowlist: Sequence[IPNetwork] = ()
    # Idle connections kept to one destination: as many as the fetcher's callers send there
    # at once (the poller's threads share one fetcher), more are closed after their request.
    connections_per_destination: int = 1


@dataclass(frozen=True)
class FetchResponse:
    status: int
    url: str  # final URL after redirects
    headers: Mapping[str, str]
    body: bytes
    permanent_redirect: str | None = None  # where a 301/308 chain led, for feeds to follow


@dataclass(frozen=True)
class FetchFailure:
    url: str
    reason: str
    kind: str  # refused | timeout | too_large | too_many_redirects | network | http_status
    status: int | None = None


class _Abort(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


@dataclass(frozen=True)
class Destination:
    """Where a checked request goes: the URL as the server must see it, and the address we
    checked, which is the one we connect to (no second DNS lookup: no rebinding window)."""

    url: str
    hostname: str
    address: str

    def path(self) -> str:
        """The request target (RFC 9112 section 3.2.1, origin-form): path and query; the
        fragment stays with the client."""
        parts = urlsplit(self.url)
        return f"{parts.path or '/'}?{parts.query}" if parts.query else parts.path or "/"

    def host_header(self) -> str:
        return urlsplit(self.url).netloc.rsplit("@", 1)[-1]


def _check_destination(url: str, allowlist: Sequence[IPNetwork]) -> Destination:
    """Every address the name resolves to must be allowed (an attacker's DNS can answer
    with a public and a private address at once); the first one is used."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise _Abort("refused", f"only http(s) URLs are fetched: {url}")
    # With an allowlist the resolved addresses decide, as for any other name.
    if not allowlist and (reason := name_refusal_reason(parts.hostname)) is not None:
        raise _Abort("refused", reason)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Abort("network", f"cannot resolve {parts.hostname}: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        reason = refusal_reason(address, allowlist)
        if reason is not None:
            raise _Abort("refused", f"{parts.hostname} resolves to {reason}")
    if not addresses:
        raise _Abort("network", f"{parts.hostname} resolves to no address")
    return Destination(url, parts.hostname, str(addresses[0]))


# Decoded bodies are read at most this many bytes at a time: the cap and the deadline are
# checked between reads, and urllib3 (>= 2.6) inflates no more than it is asked for, so a gzip
# bomb costs at most this much memory past the cap.
READ_CHUNK = 64 * 1024
# gzip and deflate, and br or zstd when their decoders are installed: only what urllib3 can
# decode is asked for.
ACCEPT_ENCODING = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]


@dataclass
class HttpFetcher:
    """urllib3, one connection pool per checked address (and name, for TLS). httpx, used
    before, took 0.6 to 1.2 ms of CPU per page fetched from the local replay server, this
    0.4 to 0.5 (one-off script, three pairs of runs in turns on the same 600 pages): the
    fetch had been about a sixth of the extract stage. urllib3 reads no proxy from the
    environment, as httpx was told not to: the SSRF check decides where a request goes."""

    limits: FetchLimits
    pools: urllib3.PoolManager = field(init=False)

    def __post_init__(self) -> None:
        self.pools = urllib3.PoolManager(
            num_pools=32,  # the most recently used destinations keep their connections
            maxsize=self.limits.connections_per_destination,
            timeout=urllib3.Timeout(
                connect=self.limits.connect_timeout_s, read=self.limits.read_timeout_s
            ),
            retries=False,  # each redirect hop is checked by _check_destination
        )

    def close(self) -> None:
        self.pools.clear()

    def get(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> FetchResponse | FetchFailure:
        deadline = time.monotonic() + self.limits.total_timeout_s
        current, permanent, all_permanent = url, None, True
        try:
            for _hop in range(self.limits.max_redirects + 1):
                destination = _check_destination(current, self.limits.allowlist)
                status, response_headers, body = self._one_request(destination, headers, deadline)
                location = response_headers.get("location")
                if status in REDIRECT_CODES and location:
                    current = urljoin(current, location)
                    # Only a chain of permanent redirects may rewrite a stored feed URL.
                    all_permanent = all_permanent and status in (301, 308)
                    permanent = current if all_permanent else None
                    continue
                return FetchResponse(status, current, response_headers, body, permanent)
            raise _Abort("too_many_redirects", f"more than {self.limits.max_redirects} redirects")
        except _Abort as exc:
            return FetchFailure(current, exc.reason, exc.kind)
        except NewConnectionError as exc:  # urllib3 files it under connect timeouts too
            return FetchFailure(current, f"cannot connect: {exc}", "network")
        except Urllib3Timeout as exc:
            return FetchFailure(current, f"timed out: {exc}", "timeout")
        except (HTTPError, OSError) as exc:
            return FetchFailure(current, f"{type(exc).__name__}: {exc}", "network")

    def _one_request(
        self, destination: Destination, headers: Mapping[str, str] | None, deadline: float
    ) -> tuple[int, dict[str, str], bytes]:
        sent = {
            "User-Agent": self.limits.user_agent, "Accept": "*/*",
            "Accept-Encoding": ACCEPT_ENCODING,
            **(headers or {}), "Host": destination.host_header(),
        }  # fmt: skip
        response = self._pool(destination).urlopen(
            "GET", destination.path(), headers=sent, redirect=False, retries=False,
            preload_content=False, decode_content=True, assert_same_host=False,
        )  # fmt: skip
        read_whole = False
        try:
            chunks, size = [], 0
            # read1: what one read of the socket brings, so that a trickling server meets the
            # deadline; decoded, so that the cap counts inflated bytes.
            while chunk := response.read1(READ_CHUNK):
                size += len(chunk)
                if size > self.limits.max_bytes:
                    raise _Abort("too_large", f"body over {self.limits.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise _Abort("timeout", f"over {self.limits.total_timeout_s}s in total")
                chunks.append(chunk)
            read_whole = True
            # A header sent more than once reads as its values joined by ", " (RFC 9110
            # section 5.3), as it did under httpx; items() would give each line apart.
            lowered = {k.lower(): response.headers[k] for k in response.headers}
            return response.status, lowered, b"".join(chunks)
        finally:
            if not read_whole:
                response.close()  # the rest of an abandoned body is never read
            response.release_conn()

    def _pool(self, destination: Destination) -> urllib3.HTTPConnectionPool:
        """The pool of the checked address. TLS checks the certificate against the name and
        sends it as SNI, although the connection goes to the address."""
        parts = urlsplit(destination.url)
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        names = {"server_hostname": destination.hostname, "assert_hostname": destination.hostname}
        return self.pools.connection_from_host(
            destination.address, port, parts.scheme, pool_kwargs=names if tls else None
        )
