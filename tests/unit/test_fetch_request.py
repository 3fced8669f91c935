"""What the fetcher hands libcurl for a checked destination, and how it reads what comes back
(pure: no connection is made)."""

from __future__ import annotations

import socket

import pycurl
import pytest

from adapters.http_fetch import Destination, _CheckedSocket, _Headers

ARABIC = "/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/1"  # /أخبار/1 as UTF-8, percent-encoded


@pytest.mark.parametrize(
    ("destination", "url", "pinned"),
    [
        (
            Destination("http://127.0.0.1:8765/feed.xml?x=1#top", "127.0.0.1", "127.0.0.1"),
            "http://127.0.0.1:8765/feed.xml?x=1",
            [],
        ),
        (
            Destination("http://user:secret@news.example/a b", "news.example", "93.184.216.34"),
            "http://news.example/a%20b",
            ["-news.example:80", "news.example:80:93.184.216.34"],
        ),
        (
            Destination("https://news.example/أخبار/1?q=مصر", "news.example", "93.184.216.34"),
            f"https://news.example{ARABIC}?q=%D9%85%D8%B5%D8%B1",
            ["-news.example:443", "news.example:443:93.184.216.34"],
        ),
        (
            Destination(f"https://news.example{ARABIC}", "news.example", "93.184.216.34"),
            f"https://news.example{ARABIC}",
            ["-news.example:443", "news.example:443:93.184.216.34"],
        ),
        (
            Destination("http://пример.рф/", "пример.рф", "93.184.216.34"),
            "http://xn--e1afmkfd.xn--p1ai/",
            ["-xn--e1afmkfd.xn--p1ai:80", "xn--e1afmkfd.xn--p1ai:80:93.184.216.34"],
        ),
        (
            Destination("http://v6.example:8080/", "v6.example", "2001:db8::1"),
            "http://v6.example:8080/",
            ["-v6.example:8080", "v6.example:8080:[2001:db8::1]"],
        ),
        (
            Destination("http://[2001:db8::1]:8080/x", "2001:db8::1", "2001:db8::1"),
            "http://[2001:db8::1]:8080/x",
            [],
        ),
    ],
)
def test_libcurl_is_handed_the_checked_address_and_a_plain_ascii_url(
    destination: Destination, url: str, pinned: list[str]
) -> None:
    assert destination.request_url() == url
    assert destination.pinned() == pinned


@pytest.mark.parametrize(
    ("lines", "fields"),
    [
        (
            [b"HTTP/1.1 200 OK\r\n", b"Content-Type: text/html\r\n", b"\r\n"],
            {"content-type": "text/html"},
        ),
        (
            [b"HTTP/1.1 200 OK\r\n", b"Link: <a>; rel=hub\r\n", b"link: <b>; rel=self\r\n"],
            {"link": "<a>; rel=hub, <b>; rel=self"},
        ),
        (
            [
                b"HTTP/1.1 100 Continue\r\n",
                b"X-Interim: 1\r\n",
                b"\r\n",
                b"HTTP/1.1 304 Not Modified\r\n",
                b'ETag: "v2"\r\n',
                b"\r\n",
            ],
            {"etag": '"v2"'},
        ),
        ([b"HTTP/1.1 200 OK\r\n", b"X-Long: one\r\n", b"\ttwo\r\n"], {"x-long": "one two"}),
        ([b"HTTP/2 200\r\n", b'etag: W/"\xe9t\xe9"\r\n'], {"etag": 'W/"\xe9t\xe9"'}),
    ],
)
def test_response_headers_read_as_one_value_per_name(
    lines: list[bytes], fields: dict[str, str]
) -> None:
    received = _Headers()
    for line in lines:
        received.line(line)
    assert received.fields() == fields


def test_a_connection_to_any_other_address_than_the_checked_one_is_not_opened() -> None:
    opener = _CheckedSocket("127.0.0.1")
    other = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, ("10.0.0.1", 80))
    assert opener.open(0, other) == pycurl.SOCKET_BAD
    assert opener.refused is not None and "10.0.0.1" in opener.refused
    same = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, ("127.0.0.1", 80))
    opened = opener.open(0, same)
    assert isinstance(opened, socket.socket)
    opened.close()
