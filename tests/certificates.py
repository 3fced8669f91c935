"""Certificates made at test time (trustme) for the TLS servers the tests start: Kafka's
SASL_SSL listener and redis-server's TLS port. Nothing is kept between test runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization


@dataclass(frozen=True)
class Issued:
    """A certificate (chain) and its key as PEM files; `bundle` holds the key, then the
    chain: the one file Kafka's PEM keystore reads."""

    cert: Path
    key: Path
    bundle: Path


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # the authority that signed the servers' and the client's certificates
    server: Issued  # for 127.0.0.1 and localhost
    client: Issued
    stranger_ca: Path  # an authority that signed nothing here: trusting it must fail


def make_tls_files(folder: Path) -> TlsFiles:
    folder.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    trustme.CA().cert_pem.write_to_path(str(folder / "stranger-ca.pem"))
    return TlsFiles(
        ca=folder / "ca.pem",
        server=_write(authority.issue_cert("127.0.0.1", "localhost"), folder, "server"),
        client=_write(authority.issue_cert("newsflow-client"), folder, "client"),
        stranger_ca=folder / "stranger-ca.pem",
    )


def _write(issued: trustme.LeafCert, folder: Path, name: str) -> Issued:
    # PKCS#8: the private key form Kafka's PEM keystore reads (trustme writes the older
    # OpenSSL form).
    key = serialization.load_pem_private_key(issued.private_key_pem.bytes(), password=None)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = b"".join(blob.bytes() for blob in issued.cert_chain_pems)
    files = Issued(folder / f"{name}.pem", folder / f"{name}-key.pem", folder / f"{name}-all.pem")
    files.cert.write_bytes(chain)
    files.key.write_bytes(key_pem)
    files.bundle.write_bytes(key_pem + chain)
    for path in (files.key, files.bundle):
        path.chmod(0o600)
    return files
