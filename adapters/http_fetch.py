"""HTTP GET for feeds and pages, with the limits a crawler of untrusted URLs needs.

- every hop of a redirect chain is checked by the SSRF policy after DNS resolution;
- connect/read timeouts plus a total deadline; a body cap counted on decompressed bytes
  (a gzip bomb stops at the cap); a redirect cap;
- conditional GET: validators are sent back exactly as received (RFC 9110 section 13.1);
- a stop (the process told to end) aborts a transfer in progress, even one a server trickles
  within its timeouts: the fetch ends as kind "aborted", which raise_if_aborted turns into
  Interrupted, so that the caller hands its work back instead of taking it for a failure.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pycurl

from adapters.address_policy import (
    ALLOWED_SCHEMES,
    IPNetwork,
    name_refusal_reason,
    port_refusal_reason,
    refusal_reason,
)
from ingest.fetching import ABORTED, FailureKind, FetchFailure, FetchResponse

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


class FetchAbort(Exception):
    """Why a fetch ended without a response; FetchFailure carries it to the caller."""

    def __init__(self, kind: FailureKind, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason

    def failure_at(self, url: str) -> FetchFailure:
        return FetchFailure(url, self.reason, self.kind)


@dataclass(frozen=True)
class Destination:
    """Where a checked request goes: the URL as the server must see it, and the address we
    checked, which is the one we connect to (no second DNS lookup: no rebinding window)."""

    url: str
    hostname: str
    address: str

    def path(self) -> str:
        """The request target (RFC 9112 section 3.2.1, origin-form): path and query; the
        fragment stays with the client. A character a URI may not hold (Arabic in a feed's
        link, a space) goes percent-encoded as UTF-8 (RFC 3987 section 3.1), as browsers send
        it; what is already percent-encoded stays as it is."""
        parts = urlsplit(self.url)
        path = quote(parts.path or "/", safe=_URI_CHARACTERS)
        return f"{path}?{quote(parts.query, safe=_URI_CHARACTERS)}" if parts.query else path

    def request_url(self) -> str:
        """The URL as libcurl is handed it: no user info (curl would send it as credentials,
        which a feed URL never meant), no fragment, the name in its ASCII form (IDNA, as the
        check resolved it)."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{_bracketed(_ascii_name(self.hostname))}{port}{self.path()}"

    def pinned(self) -> list[str]:
        """libcurl's RESOLVE entries: the name at its port goes to the checked address and
        nowhere else (an earlier entry for it removed first). An IP literal is not looked up."""
        if _is_address(self.hostname):
            return []
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        name = _ascii_name(self.hostname)
        return [f"-{name}:{port}", f"{name}:{port}:{_bracketed(self.address)}"]


# RFC 3986's reserved and unreserved characters, and "%": left as they are by Destination.path.
_URI_CHARACTERS = ":/?#[]@!$&'()*+,;=-._~%"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def names_a_host(url: str) -> bool:
    """Whether the URL's host is a name, which the check must look up in DNS (an IP literal
    needs no lookup). A URL urllib cannot split names none: the check, in place, refuses it."""
    try:
        hostname = urlsplit(url).hostname
    except ValueError:
        return False
    return bool(hostname) and not _is_address(hostname or "")


def _ascii_name(hostname: str) -> str:
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return hostname  # an IP literal, which IDNA leaves alone or refuses


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def check_destination(url: str, allowlist: Sequence[IPNetwork]) -> Destination:
    """Every address the name resolves to must be allowed (an attacker's DNS can answer
    with a public and a private address at once); the first one is used. Whatever a URL
    holds (a feed's link, a redirect's Location), a refusal is a FetchAbort, never another
    exception: urllib raises ValueError on '[::1' or on port 99999."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:
        raise FetchAbort("refused", f"{url} cannot be parsed: {exc}") from exc
    if parts.scheme not in ALLOWED_SCHEMES or not hostname:
        raise FetchAbort("refused", f"only http(s) URLs are fetched: {url}")
    # Refused by name before any lookup, allowlist or not (RFC 6761 section 6.3).
    if (reason := name_refusal_reason(hostname)) is not None:
        raise FetchAbort("refused", reason)
    # Checked before urllib reads the port: it reads 0 as no port (so 80) and raises on 99999.
    if (reason := port_refusal_reason(url)) is not None:
        raise FetchAbort("refused", reason)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchAbort("network", f"cannot resolve {hostname}: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        reason = refusal_reason(address, allowlist)
        if reason is not None:
            raise FetchAbort("refused", f"{hostname} resolves to {reason}")
    if not addresses:
        raise FetchAbort("network", f"{hostname} resolves to no address")
    return Destination(url, hostname, str(addresses[0]))


class _Body:
    """The body as libcurl hands it over, decoded (gzip, deflate, br: what it was built
    with), counted against the cap: a gzip bomb stops at the cap, since returning short from
    the write callback aborts the transfer."""

    def __init__(self, max_bytes: int) -> None:
        self.chunks: list[bytes] = []
        self.size, self.max_bytes, self.over = 0, max_bytes, False

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.over = True
            return 0  # fewer bytes than handed over: libcurl stops (CURLE_WRITE_ERROR)
        self.chunks.append(chunk)
        return len(chunk)


class _Headers:
    """The response's header lines; an interim response (1xx) before it is forgotten."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, raw: bytes) -> None:
        # ISO-8859-1, as http.client reads them: a header is bytes (RFC 9110 section 5.5).
        text = raw.decode("iso-8859-1")
        if text.startswith("HTTP/"):
            self.lines = []  # a status line: what came before was an interim response
        elif text.strip():
            self.lines.append(text.rstrip("\r\n"))

    def fields(self) -> dict[str, str]:
        """Lower-cased names; a header sent more than once reads as its values joined by ", "
        (RFC 9110 section 5.3); a folded line continues the one before (RFC 9112 section 5.2)."""
        fields: dict[str, str] = {}
        name = ""
        for text in self.lines:
            if text[:1] in (" ", "\t") and name:
                fields[name] += " " + text.strip()
                continue
            name, _, value = text.partition(":")
            name, value = name.strip().lower(), value.strip()
            fields[name] = f"{fields[name]}, {value}" if name in fields else value
        return fields


class _CheckedSocket:
    """libcurl's socket opener: a connection goes only to the address the check allowed,
    whatever libcurl made of the URL (a second guard beside the pinned name)."""

    def __init__(self, address: str) -> None:
        self.address = ipaddress.ip_address(address)
        self.refused: str | None = None

    def open(self, _purpose: int, curl_address: Any) -> socket.socket | int:
        family, socktype, protocol, peer = curl_address
        if ipaddress.ip_address(str(peer[0]).split("%")[0]) != self.address:
            self.refused = f"libcurl was about to connect to {peer[0]}, not {self.address}"
            return pycurl.SOCKET_BAD
        return socket.socket(family, socktype, protocol)  # libcurl keeps a duplicate of it


@dataclass
class RedirectChain:
    """One fetch's way through its redirects, each hop checked anew by the caller."""

    current: str  # the URL of the hop to make next, or of the last one made
    deadline: float  # time.monotonic() by which the whole chain must be done
    redirects: int = 0
    all_permanent: bool = True
    permanent: str | None = None

    def answered(
        self, status: int, headers: dict[str, str], body: bytes, max_redirects: int
    ) -> FetchResponse | None:
        """The response, or None when it redirects: `current` is then the next hop."""
        location = headers.get("location")
        if status not in REDIRECT_CODES or not location:
            return FetchResponse(status, self.current, headers, body, self.permanent)
        self.redirects += 1
        if self.redirects > max_redirects:
            raise FetchAbort("too_many_redirects", f"more than {max_redirects} redirects")
        try:
            next_hop = urljoin(self.current, location)
        except ValueError as exc:  # 'http://[::1/x': the server's word, refused like any hop
            raise FetchAbort("refused", f"redirect to {location!r}: {exc}") from exc
        # The next hop, port included, is checked by check_destination before it is made.
        self.current = next_hop
        # Only a chain of permanent redirects may rewrite a stored feed URL.
        self.all_permanent = self.all_permanent and status in (301, 308)
        self.permanent = self.current if self.all_permanent else None
        return None


@dataclass
class Hop:
    """One request of a chain on a libcurl handle: what it is sent and what comes back."""

    destination: Destination
    body: _Body
    received: _Headers
    opener: _CheckedSocket

    @classmethod
    def to(cls, destination: Destination, limits: FetchLimits) -> Hop:
        body = _Body(limits.max_bytes)
        return cls(destination, body, _Headers(), _CheckedSocket(destination.address))

    def configure(
        self,
        handle: pycurl.Curl,
        limits: FetchLimits,
        headers: Mapping[str, str] | None,
        deadline: float,
    ) -> None:
        remaining_ms = math.ceil((deadline - time.monotonic()) * 1000)
        if remaining_ms <= 0:
            raise FetchAbort("timeout", f"over {limits.total_timeout_s}s in total")
        destination = self.destination
        sent = {"User-Agent": limits.user_agent, "Accept": "*/*", **(headers or {})}
        handle.setopt(pycurl.URL, destination.request_url())
        handle.setopt(pycurl.RESOLVE, destination.pinned())
        # ISO-8859-1 both ways: a validator goes back byte for byte as it came (_Headers.line).
        lines = [f"{name}: {value}".encode("iso-8859-1", "replace") for name, value in sent.items()]
        handle.setopt(pycurl.HTTPHEADER, lines)
        handle.setopt(pycurl.TIMEOUT_MS, remaining_ms)  # the total deadline, redirects included
        handle.setopt(pycurl.WRITEFUNCTION, self.body.write)
        handle.setopt(pycurl.HEADERFUNCTION, self.received.line)
        handle.setopt(pycurl.OPENSOCKETFUNCTION, self.opener.open)
        if destination.url.startswith("https:"):
            # Read per request, as Python's ssl module reads them per context: SSL_CERT_FILE
            # and SSL_CERT_DIR may name another store than the system's.
            paths = ssl.get_default_verify_paths()
            for option, path in ((pycurl.CAINFO, paths.cafile), (pycurl.CAPATH, paths.capath)):
                if path:
                    handle.setopt(option, path)
                else:
                    handle.unsetopt(option)

    def answer(self, handle: pycurl.Curl) -> tuple[int, dict[str, str], bytes]:
        code = int(handle.getinfo(pycurl.RESPONSE_CODE))
        return code, self.received.fields(), b"".join(self.body.chunks)

    def failure(self, exc: pycurl.error, limits: FetchLimits) -> FetchAbort:
        code, message = exc.args[0], str(exc.args[1]) if len(exc.args) > 1 else str(exc)
        if code == pycurl.E_ABORTED_BY_CALLBACK:  # only HttpFetcher's stop check aborts so
            return FetchAbort(ABORTED, "stopped in transfer")
        if self.body.over:
            return FetchAbort("too_large", f"body over {limits.max_bytes} bytes")
        if self.opener.refused is not None:
            return FetchAbort("refused", self.opener.refused)
        if code == pycurl.E_OPERATION_TIMEDOUT:
            return FetchAbort("timeout", f"timed out: {message}")
        return FetchAbort("network", f"curl error {code}: {message}")


@dataclass
class HttpFetcher:
    """libcurl through pycurl, one handle (with its connections, kept alive) per calling
    thread: the poller's threads share one fetcher (about half the CPU a page of urllib3
    with http.client, measured on the local replay server's pages). No proxy is read from the
    environment: the SSRF check decides where a request goes. Certificates are checked
    against the name, with the trust store Python's ssl module would use (SSL_CERT_FILE and
    SSL_CERT_DIR included). Once `stop` is set, no request goes out and the one in
    transfer is aborted (kind "aborted"): libcurl calls the progress callback often while
    data moves and about once a second while none does, so a server that trickles a page
    within its timeouts holds a stopping process for a second, not up to the total
    deadline."""

    limits: FetchLimits
    stop: threading.Event = field(default_factory=threading.Event)
    _local: threading.local = field(init=False, repr=False)
    _handles: list[pycurl.Curl] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._local, self._handles, self._lock = threading.local(), [], threading.Lock()

    def close(self) -> None:
        with self._lock:
            for handle in self._handles:
                handle.close()
            self._handles.clear()
            self._local = threading.local()

    def get(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> FetchResponse | FetchFailure:
        chain = RedirectChain(url, time.monotonic() + self.limits.total_timeout_s)
        try:
            while True:
                if self.stop.is_set():
                    raise FetchAbort(ABORTED, "stopped before the request")
                hop = Hop.to(check_destination(chain.current, self.limits.allowlist), self.limits)
                handle = self._handle()
                hop.configure(handle, self.limits, headers, chain.deadline)
                try:
                    handle.perform()
                except pycurl.error as exc:
                    raise hop.failure(exc, self.limits) from exc
                done = chain.answered(*hop.answer(handle), self.limits.max_redirects)
                if done is not None:
                    return done
        except FetchAbort as exc:
            return exc.failure_at(chain.current)

    def _handle(self) -> pycurl.Curl:
        handle: pycurl.Curl | None = getattr(self._local, "handle", None)
        if handle is None:
            handle = new_handle(self.limits)
            # The progress callback is libcurl's one way out of a transfer in progress.
            handle.setopt(pycurl.NOPROGRESS, 0)
            handle.setopt(pycurl.XFERINFOFUNCTION, self._go_on)
            self._local.handle = handle
            with self._lock:
                self._handles.append(handle)
        return handle

    def _go_on(self, *_progress: int) -> int:
        """libcurl's XFERINFOFUNCTION: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK,
        which Hop.failure reads as "aborted")."""
        return 1 if self.stop.is_set() else 0


def new_handle(limits: FetchLimits) -> pycurl.Curl:
    handle = pycurl.Curl()
    handle.setopt(pycurl.NOSIGNAL, 1)  # timeouts without SIGALRM: callers may be threads
    handle.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
    handle.setopt(pycurl.FOLLOWLOCATION, 0)  # each hop is checked anew (RedirectChain)
    handle.setopt(pycurl.PROXY, "")  # no proxy from the environment (http_proxy and the like)
    handle.setopt(pycurl.ACCEPT_ENCODING, "")  # every encoding libcurl decodes, decoded
    handle.setopt(pycurl.CONNECTTIMEOUT_MS, math.ceil(limits.connect_timeout_s * 1000))
    # A read timeout: less than a byte a second for that long ends the transfer.
    handle.setopt(pycurl.LOW_SPEED_LIMIT, 1)
    handle.setopt(pycurl.LOW_SPEED_TIME, max(1, math.ceil(limits.read_timeout_s)))
    handle.setopt(pycurl.MAXCONNECTS, 32)  # the most recently used destinations stay connected
    return handle
