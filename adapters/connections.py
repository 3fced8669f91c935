"""How to reach Kafka and Redis, security included: one description per server, turned into
the client library's options here and nowhere else.

A plain bootstrap string or Redis URL still works wherever a connection is asked for: it is
a cluster without TLS or login (the local servers `newsflow run` starts, the tests' own)."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from workers.errors import AccessRefused

KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
DEFAULT_KAFKA_PORT = 9092


@dataclass(frozen=True)
class KafkaConnection:
    """A Kafka cluster's bootstrap servers and how to log in to it."""

    bootstrap: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: str = field(default="", repr=False)
    ssl_cafile: str = ""  # empty: the system's trusted authorities
    ssl_certfile: str = ""  # a client certificate, for mutual TLS
    ssl_keyfile: str = ""
    ssl_check_hostname: bool = True

    def __str__(self) -> str:
        return self.bootstrap

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    def client_options(self) -> dict[str, Any]:
        """kafka-python's keyword arguments, the same for producers, consumers and admins."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.uses_sasl:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        if self.uses_tls:
            options |= {
                "ssl_check_hostname": self.ssl_check_hostname,
                "ssl_cafile": self.ssl_cafile or None,
                "ssl_certfile": self.ssl_certfile or None,
                "ssl_keyfile": self.ssl_keyfile or None,
            }
        return options

    def first_server(self) -> tuple[str, int]:
        """The first bootstrap server's host and port (Kafka's 9092 when none is given)."""
        server = self.bootstrap.split(",")[0].strip()
        host, colon, port = server.rpartition(":")
        if not colon or not port.isdigit() or (server.startswith("[") and not host.endswith("]")):
            return server.strip("[]"), DEFAULT_KAFKA_PORT
        return host.strip("[]"), int(port)


KafkaAddress = KafkaConnection | str


def kafka_connection(address: KafkaAddress) -> KafkaConnection:
    return address if isinstance(address, KafkaConnection) else KafkaConnection(address)


def kafka_options(address: KafkaAddress) -> dict[str, Any]:
    return kafka_connection(address).client_options()


@dataclass(frozen=True)
class RedisConnection:
    """A Redis URL (redis:// or rediss:// for TLS), its ACL user and its TLS files."""

    url: str
    username: str = ""
    password: str = field(default="", repr=False)
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    ssl_check_hostname: bool = True

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]  # never a password from the URL
        return f"{parts.scheme}://{host}{parts.path}"

    @property
    def uses_tls(self) -> bool:
        return urlsplit(self.url).scheme == "rediss"

    def client_options(self) -> dict[str, Any]:
        """redis-py's keyword arguments beside the URL (a user or password given here wins
        over one in the URL)."""
        options: dict[str, Any] = {}
        if self.username:
            options["username"] = self.username
        if self.password:
            options["password"] = self.password
        if self.uses_tls:  # redis-py refuses ssl_* arguments on a redis:// URL
            options |= {
                "ssl_cert_reqs": "required",
                "ssl_check_hostname": self.ssl_check_hostname,
                "ssl_ca_certs": self.ssl_cafile or None,
                "ssl_certfile": self.ssl_certfile or None,
                "ssl_keyfile": self.ssl_keyfile or None,
            }
        return options


RedisAddress = RedisConnection | str


def redis_connection(address: RedisAddress) -> RedisConnection:
    return address if isinstance(address, RedisConnection) else RedisConnection(address)


def check_tls(
    service: str,
    connection: KafkaConnection | RedisConnection,
    host: str,
    port: int,
    *,
    timeout_s: float,
    hello: bytes = b"",
) -> None:
    """The TLS handshake done once by hand, before the client library's: both libraries
    report an untrusted or refused certificate as a connection error, which is retried.
    AccessRefused names the `service`'s settings to fix (kafka_ssl_cafile...)."""
    files = f"{service}_ssl_cafile, {service}_ssl_certfile and {service}_ssl_keyfile"
    try:
        context = ssl.create_default_context(cafile=connection.ssl_cafile or None)
        context.check_hostname = connection.ssl_check_hostname
        if connection.ssl_certfile:
            context.load_cert_chain(connection.ssl_certfile, connection.ssl_keyfile or None)
    except OSError as exc:  # ssl.SSLError is an OSError too
        raise AccessRefused(f"{service} TLS files unreadable ({exc}): check {files}") from exc
    if refusal := _tls_refusal(host, port, context, timeout_s, hello):
        raise AccessRefused(
            f"{service} at {connection}: {refusal}; check {service}_ssl_cafile (the authority "
            f"that signed the server's certificate), {service}_ssl_certfile and "
            f"{service}_ssl_keyfile (a client certificate, where the server asks for one) and "
            f"{service}_ssl_check_hostname"
        )


def _tls_refusal(
    host: str, port: int, context: ssl.SSLContext, timeout_s: float, hello: bytes = b""
) -> str | None:
    """Why a TLS handshake with host:port fails on our side's checks (an untrusted or
    misnamed certificate, a client certificate the server refused), None when it succeeds.
    A server that cannot be reached at all is not a TLS refusal: None too (the caller's own
    connection reports it). `hello`, a harmless request sent once connected, makes a server
    that waits for the client to speak first finish its side of the handshake."""
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            # TLS 1.3 servers refuse a missing client certificate after the handshake: a
            # read sees the alert (or times out on a server that waits for us to speak).
            tls.settimeout(min(timeout_s, 2.0) if hello else 0.5)
            try:
                if hello:
                    tls.sendall(hello)
                tls.recv(1)
            except TimeoutError:
                pass
            except ssl.SSLError as exc:
                return f"the server refused our TLS client certificate ({exc.reason})"
    except ssl.SSLCertVerificationError as exc:
        return f"the server's certificate is not trusted: {exc.verify_message}"
    except ssl.SSLError as exc:
        return f"TLS handshake failed: {exc.reason or exc}"
    except OSError:
        return None
    return None
