"""The fetcher against a local server that misbehaves on purpose: redirects into private
addresses, redirect loops, gzip bombs, bodies over the cap, servers that trickle bytes. Each
test runs twice: with HttpFetcher (one request at a time, the poller's and robots.txt's) and
with PageFetches (many at once in one thread, the extract stage's), which share every check."""

from __future__ import annotations

import gzip
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

import pytest
import trustme

from adapters.address_policy import parse_networks
from adapters.http_fetch import Destination, FetchLimits, HttpFetcher
from adapters.page_fetches import PageFetches
from ingest.fetching import FetchFailure, FetchResponse
from ingest.politeness import HostLimiter

pytestmark = pytest.mark.integration

BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in about 64 KiB


class Misbehaving(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes: dict[str, Callable[[], None]] = {
            "/ok": lambda: self._send(200, b"<rss></rss>", {"Content-Type": "application/rss+xml"}),
            "/to-private": lambda: self._redirect("http://10.0.0.1/feed.xml"),
            "/to-ipv6-loopback": lambda: self._redirect("http://[::1]/feed.xml"),
            "/to-metadata": lambda: self._redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-file": lambda: self._redirect("file:///etc/passwd"),
            "/loop": lambda: self._redirect("/loop"),
            "/moved": lambda: self._redirect("/ok", 301),
            "/bomb": lambda: self._send(200, BOMB, {"Content-Encoding": "gzip"}),
            "/huge": lambda: self._send(200, b"x" * (2 * 1024 * 1024), {}),
            "/trickle": self._trickle,
            "/host": lambda: self._send(200, (self.headers.get("Host") or "").encode(), {}),
            "/twice": self._header_twice,
        }
        if self.path.startswith("/echo/"):
            self._send(200, self.path.encode("ascii"), {})  # the request target as it came
            return
        routes.get(self.path, lambda: self._send(404, b"", {}))()

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _header_twice(self) -> None:
        self.send_response(200)
        self.send_header("Link", "<https://hub.example/>; rel=hub")
        self.send_header("Link", "<https://news.example/feed>; rel=self")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.05)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stops reading at its cap leaves the server a broken pipe: expected
        # here, so not printed; anything else is.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Misbehaving)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class Fetcher(Protocol):
    def get(self, url: str) -> FetchResponse | FetchFailure: ...


@dataclass
class ManyAtOnce:
    """PageFetches asked for one page at a time, as HttpFetcher is."""

    pages: PageFetches

    def get(self, url: str) -> FetchResponse | FetchFailure:
        return self.pages.result(self.pages.start(url))


MakeFetcher = Callable[..., Fetcher]


def limits_for_tests(**limits: Any) -> FetchLimits:
    # Only the test server's own address is allowed: everything else keeps the default refusal.
    return FetchLimits(allowlist=parse_networks(["127.0.0.1/32"]), **limits)


@pytest.fixture(params=["HttpFetcher", "PageFetches"])
def make_fetcher(request: pytest.FixtureRequest) -> Iterator[MakeFetcher]:
    made: list[HttpFetcher | PageFetches] = []

    def make(**limits: Any) -> Fetcher:
        if request.param == "HttpFetcher":
            fetcher = HttpFetcher(limits_for_tests(**limits))
            made.append(fetcher)
            return fetcher
        pages = PageFetches(limits_for_tests(**limits), HostLimiter(2, 0.0))
        made.append(pages)
        return ManyAtOnce(pages)

    yield make
    for each in made:
        each.close()


@pytest.mark.parametrize("path", ["/to-private", "/to-ipv6-loopback", "/to-metadata", "/to-file"])
def test_a_redirect_into_a_refused_address_is_refused(
    base_url: str, path: str, make_fetcher: MakeFetcher
) -> None:
    result = make_fetcher().get(base_url + path)
    assert isinstance(result, FetchFailure) and result.kind == "refused", result


def test_redirect_loops_stop_at_the_cap(base_url: str, make_fetcher: MakeFetcher) -> None:
    result = make_fetcher(max_redirects=3).get(base_url + "/loop")
    assert isinstance(result, FetchFailure) and result.kind == "too_many_redirects"


def test_a_permanent_redirect_is_reported_for_the_feed_url(
    base_url: str, make_fetcher: MakeFetcher
) -> None:
    result = make_fetcher().get(base_url + "/moved")
    assert isinstance(result, FetchResponse) and result.status == 200
    assert result.permanent_redirect == base_url + "/ok"


def test_a_header_sent_twice_reads_as_both_values(base_url: str, make_fetcher: MakeFetcher) -> None:
    result = make_fetcher().get(base_url + "/twice")
    assert isinstance(result, FetchResponse)
    assert result.headers["link"] == (
        "<https://hub.example/>; rel=hub, <https://news.example/feed>; rel=self"
    )


def test_a_gzip_bomb_stops_at_the_decompressed_cap(
    base_url: str, make_fetcher: MakeFetcher
) -> None:
    started = time.monotonic()
    result = make_fetcher(max_bytes=1024 * 1024).get(base_url + "/bomb")
    assert isinstance(result, FetchFailure) and result.kind == "too_large"
    assert time.monotonic() - started < 5


def test_a_body_over_the_cap_is_refused(base_url: str, make_fetcher: MakeFetcher) -> None:
    result = make_fetcher(max_bytes=1024 * 1024).get(base_url + "/huge")
    assert isinstance(result, FetchFailure) and result.kind == "too_large"


def test_a_trickling_server_hits_the_total_deadline(
    base_url: str, make_fetcher: MakeFetcher
) -> None:
    started = time.monotonic()
    result = make_fetcher(total_timeout_s=1.0, read_timeout_s=5.0).get(base_url + "/trickle")
    assert isinstance(result, FetchFailure) and result.kind == "timeout"
    assert time.monotonic() - started < 3


def test_a_closed_port_is_a_network_failure(base_url: str, make_fetcher: MakeFetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening
        result = make_fetcher(connect_timeout_s=1.0).get(f"http://127.0.0.1:{port}/")
    assert isinstance(result, FetchFailure) and result.kind == "network"


def test_the_checked_address_is_the_one_connected_to(
    base_url: str, monkeypatch: pytest.MonkeyPatch, make_fetcher: MakeFetcher
) -> None:
    """The name is looked up once, by the check; the connection goes to the address that was
    checked (the client is handed an IP literal), and the server still sees the name as Host."""
    port = int(base_url.rsplit(":", 1)[1])
    real, asked = socket.getaddrinfo, []

    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host == "pinned.invalid":  # .invalid never resolves for the OS (RFC 6761)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    result = make_fetcher().get(f"http://pinned.invalid:{port}/host")
    assert isinstance(result, FetchResponse) and result.body == f"pinned.invalid:{port}".encode()
    assert result.url == f"http://pinned.invalid:{port}/host"
    assert asked.count("pinned.invalid") == 1


def test_a_link_with_arabic_in_it_goes_percent_encoded(
    base_url: str, make_fetcher: MakeFetcher
) -> None:
    result = make_fetcher().get(base_url + "/echo/أخبار?q=مصر 1")
    assert isinstance(result, FetchResponse) and result.status == 200, result
    assert result.body == b"/echo/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1?q=%D9%85%D8%B5%D8%B1%201"


def test_libcurl_cannot_connect_elsewhere_than_the_checked_address(
    base_url: str, monkeypatch: pytest.MonkeyPatch, make_fetcher: MakeFetcher
) -> None:
    """Should libcurl ever read the URL otherwise than the check did and go to another
    address, its socket is not opened: the pinned name is made to point elsewhere here."""
    port = int(base_url.rsplit(":", 1)[1])
    _resolve_every_name_to(monkeypatch, ("127.0.0.1",), port)
    monkeypatch.setattr(Destination, "pinned", lambda self: [f"pinned.invalid:{port}:127.0.0.2"])
    result = make_fetcher().get(f"http://pinned.invalid:{port}/ok")
    assert isinstance(result, FetchFailure) and result.kind == "refused", result
    assert "127.0.0.2" in result.reason


def _resolve_every_name_to(
    monkeypatch: pytest.MonkeyPatch, addresses: tuple[str, ...], port: int
) -> None:
    def resolve(host: str, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_a_name_with_one_private_address_among_public_ones_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    make_fetcher: MakeFetcher,
) -> None:
    _resolve_every_name_to(monkeypatch, ("93.184.216.34", "10.0.0.5"), 80)
    result = make_fetcher().get("http://mixed.invalid/feed.xml")
    assert (
        isinstance(result, FetchFailure)
        and result.kind == "refused"
        and "10.0.0.5" in result.reason
    )


@pytest.fixture(scope="module")
def tls_server() -> Iterator[tuple[int, trustme.CA, list[str]]]:
    """An HTTPS server whose certificate names pinned.invalid, issued by a test CA; it
    records the name each client sent in its TLS hello (SNI)."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("pinned.invalid").configure_cert(context)
    names: list[str] = []
    context.sni_callback = lambda _sock, name, _context: names.append(name or "")
    server = Server(("127.0.0.1", 0), Misbehaving)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], ca, names
    server.shutdown()


def test_tls_goes_to_the_checked_address_and_verifies_the_name(
    tls_server: tuple[int, trustme.CA, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    make_fetcher: MakeFetcher,
) -> None:
    """Connected to the address, the client still sends the name as SNI and Host, and checks
    the certificate against the name (the CA trusted through OpenSSL's SSL_CERT_FILE)."""
    port, ca, names = tls_server
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    _resolve_every_name_to(monkeypatch, ("127.0.0.1",), port)
    result = make_fetcher().get(f"https://pinned.invalid:{port}/host")
    assert isinstance(result, FetchResponse), result
    assert result.body == f"pinned.invalid:{port}".encode()
    assert names[-1] == "pinned.invalid"


@pytest.mark.parametrize("trusted", [True, False])
def test_tls_refuses_a_certificate_for_another_name_or_from_an_unknown_issuer(
    tls_server: tuple[int, trustme.CA, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    trusted: bool,
    make_fetcher: MakeFetcher,
) -> None:
    port, ca, _names = tls_server
    if trusted:
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    _resolve_every_name_to(monkeypatch, ("127.0.0.1",), port)
    name = "other.invalid" if trusted else "pinned.invalid"
    result = make_fetcher().get(f"https://{name}:{port}/ok")
    assert isinstance(result, FetchFailure) and result.kind == "network", result
    assert "certificate" in result.reason.lower() or "hostname" in result.reason.lower()


@pytest.fixture
def closes_reused_connections() -> Iterator[str]:
    """A server that answers the first request of each connection, keeping it alive, and
    closes the connection without a word at the second: the race of a kept-alive connection
    that the server drops just as a request goes out on it."""
    listener = socket.create_server(("127.0.0.1", 0))
    answered: list[int] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            for number in (1, 2):
                if not conn.recv(65536):
                    return
                if number == 2:
                    return  # read, never answered: the client sees the connection close
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                answered.append(1)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_request_on_a_kept_alive_connection_the_server_dropped_goes_again(
    closes_reused_connections: str,
    make_fetcher: MakeFetcher,
) -> None:
    fetcher = make_fetcher()
    first = fetcher.get(closes_reused_connections + "/a")
    second = fetcher.get(closes_reused_connections + "/b")
    assert isinstance(first, FetchResponse) and first.body == b"ok", first
    assert isinstance(second, FetchResponse) and second.body == b"ok", second


# Where a hostile server's redirect points, with a distinctive part of the refusal's reason.
HOSTILE_LOCATIONS = [
    ("port-out-of-range", "http://127.0.0.1:99999/x", "port '99999'"),
    ("port-zero", "http://127.0.0.1:0/x", "port '0'"),
    ("port-negative", "http://127.0.0.1:-1/x", "port '-1'"),
    ("port-letters", "http://127.0.0.1:abc/x", "port 'abc'"),
    ("unclosed-bracket", "http://[::1/x", "http://[::1/x"),
    ("ipv4-compatible-loopback", "http://[::127.0.0.1]/x", "embeds 127.0.0.1 which is loopback"),
    ("nat64-metadata", "http://[64:ff9b::a9fe:a9fe]/x", "embeds 169.254.169.254"),
    ("localhost-name", "http://localhost/x", "loopback name"),
]


class RedirectsAnywhere(BaseHTTPRequestHandler):
    """Answers /<n> with a redirect to the n-th of HOSTILE_LOCATIONS."""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", HOSTILE_LOCATIONS[int(self.path.strip("/"))][1])
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def redirects_anywhere() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), RedirectsAnywhere)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    ("index", "reason"),
    [(i, reason) for i, (_, _, reason) in enumerate(HOSTILE_LOCATIONS)],
    ids=[name for name, _, _ in HOSTILE_LOCATIONS],
)
def test_a_redirect_to_a_bad_port_or_a_disguised_address_is_a_refusal(
    redirects_anywhere: str, index: int, reason: str, make_fetcher: MakeFetcher
) -> None:
    """A failure the caller can fall back from (the feed's text), never an exception, even
    with 127.0.0.1 allowlisted."""
    result = make_fetcher().get(f"{redirects_anywhere}/{index}")
    assert isinstance(result, FetchFailure) and result.kind == "refused", result
    assert reason in result.reason, result
