"""The launchers' configuration of a secured broker and Redis (the servers the secured
end-to-end tests start): pure, no server."""

from __future__ import annotations

from pathlib import Path

from services.kafka_broker import BrokerConfig, SecuredListener, server_properties
from services.redis_server import RedisConfig, RedisTls, redis_args

LISTENER = SecuredListener(
    port=9096,
    keystore_pem=Path("/tls/server-all.pem"),
    scram_users=(("nf", "pw1"),),
    plain_users=(("plain", "pw2"),),
    client_ca=Path("/tls/ca.pem"),
)


def _props(cfg: BrokerConfig) -> dict[str, str]:
    lines = server_properties(cfg).splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_a_secured_broker_adds_a_sasl_ssl_listener_beside_its_own() -> None:
    props = _props(BrokerConfig(9092, 9093, Path("/data"), secured=LISTENER))
    assert props["listeners"].split(",") == [
        "PLAINTEXT://127.0.0.1:9092",
        "CONTROLLER://127.0.0.1:9093",
        "SASL_SSL://127.0.0.1:9096",
    ]
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert "SASL_SSL:SASL_SSL" in props["listener.security.protocol.map"]
    assert props["ssl.keystore.location"] == "/tls/server-all.pem"
    # The broker-wide ssl.client.auth would not reach a SASL_SSL listener (KIP-684).
    assert props["listener.name.sasl_ssl.ssl.client.auth"] == "required"
    assert 'user_plain="pw2"' in props["listener.name.sasl_ssl.plain.sasl.jaas.config"]
    assert LISTENER.format_arguments() == ["--add-scram", "SCRAM-SHA-512=[name=nf,password=pw1]"]


def test_a_plain_broker_has_no_security_settings() -> None:
    props = _props(BrokerConfig(9092, 9093, Path("/data")))
    assert not any(key.startswith(("ssl.", "sasl.", "listener.name.")) for key in props)


def test_a_tls_redis_listens_on_tls_only_and_knows_its_users() -> None:
    tls = RedisTls(
        Path("/s.pem"), Path("/s-key.pem"), Path("/ca.pem"), (Path("/c.pem"), Path("/c-key.pem"))
    )
    cfg = RedisConfig(6380, Path("/d"), tls=tls, default_password="adm", users=("nf on >pw ~a:*",))
    args = redis_args(cfg)
    assert args[args.index("--port") + 1] == "0"
    assert args[args.index("--tls-port") + 1] == "6380"
    assert args[args.index("--tls-auth-clients") + 1] == "yes"
    assert args[args.index("--user") :][:5] == ["--user", "nf", "on", ">pw", "~a:*"]
    assert cfg.url.startswith("rediss://")
    assert cfg.admin().client_options()["ssl_certfile"] == "/c.pem"
