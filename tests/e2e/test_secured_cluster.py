"""newsflow against a secured cluster, as a user of a managed Kafka and a shared Redis runs
it: a broker whose clients' listener is SASL_SSL with client certificates required
(SCRAM-SHA-512 users made by the broker's own storage tool, PLAIN users from its JAAS
configuration), a redis-server on TLS only, asking for client certificates, with the
default user behind a password and an ACL user limited to `newsflow redis-acl`'s rule;
certificates made at test time. The demo stream runs through them end to end; a wrong password, an
untrusted authority and a missing ACL permission each stop `newsflow run` at once with an
error naming the setting to fix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.connections import RedisConnection
from adapters.redis_access import acl_rule
from adapters.redis_client import DirectScript, connect_redis
from services.kafka_broker import BrokerConfig, SecuredListener, start_broker
from services.process import free_port
from services.redis_server import RedisConfig, RedisTls, start_redis
from tests.certificates import TlsFiles, make_tls_files
from tests.conftest import Namespace
from workers.errors import AccessRefused

pytestmark = pytest.mark.e2e

KAFKA_USER, KAFKA_PASSWORD = "newsflow", "kafka-secret-1"
PLAIN_USER, PLAIN_PASSWORD = "plain-newsflow", "kafka-secret-2"
REDIS_USER, REDIS_PASSWORD = "newsflow", "redis-secret-1"
NARROW_USER, NARROW_PASSWORD = "narrow", "redis-secret-2"  # the rule less HSETNX
ADMIN_PASSWORD = "redis-admin-secret"
PREFIX = "secured:"


@dataclass(frozen=True)
class Secured:
    tls: TlsFiles
    kafka: str
    redis: str  # rediss://
    secrets: Path  # a folder of password files


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    folder = tmp_path_factory.mktemp("secured")
    tls = make_tls_files(folder / "tls")
    listener = SecuredListener(
        port=free_port(),
        keystore_pem=tls.server.bundle,
        scram_users=((KAFKA_USER, KAFKA_PASSWORD),),
        plain_users=((PLAIN_USER, PLAIN_PASSWORD),),
        client_ca=tls.ca,  # mutual TLS besides the login
    )
    broker_cfg = BrokerConfig(
        port=free_port(),
        controller_port=free_port(),
        data_dir=folder / "kafka",
        secured=listener,
    )
    # The newsflow user gets exactly the rule `newsflow redis-acl` prints for the prefix the
    # runs use, as an operator would grant it.
    printed = subprocess.run(
        [sys.executable, "-m", "newsflow", "redis-acl", "--user", REDIS_USER],
        env={**os.environ, "NEWSFLOW_REDIS_KEY_PREFIX": PREFIX},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed.startswith("ACL SETUSER ") and printed.endswith(" >PASSWORD")
    rule = printed.removeprefix("ACL SETUSER ").removesuffix(" >PASSWORD")
    narrow = acl_rule(PREFIX, NARROW_USER).replace(" +hsetnx", "")
    assert narrow != acl_rule(PREFIX, NARROW_USER)
    redis_cfg = RedisConfig(
        port=free_port(),
        data_dir=folder / "redis",
        persistent=False,
        tls=RedisTls(
            tls.server.cert,
            tls.server.key,
            tls.ca,
            client_certificates=(tls.client.cert, tls.client.key),
        ),
        default_password=ADMIN_PASSWORD,
        users=(
            f"{rule} >{REDIS_PASSWORD}",
            f"{narrow} >{NARROW_PASSWORD}",
        ),
    )
    secrets = folder / "secrets"
    secrets.mkdir()
    (secrets / "kafka-password").write_text(KAFKA_PASSWORD + "\n", encoding="utf-8")
    (secrets / "redis-password").write_text(REDIS_PASSWORD + "\n", encoding="utf-8")
    broker = start_broker(broker_cfg)
    try:
        redis_server = start_redis(redis_cfg)
    except BaseException:
        broker.stop()
        raise
    try:
        yield Secured(tls, listener.bootstrap, redis_cfg.url, secrets)
    finally:
        redis_server.stop()
        broker.stop()


def _env(secured: Secured, tmp_path: Path, **changes: str) -> dict[str, str]:
    """A `newsflow run --demo` on the secured servers: SCRAM-SHA-512 over TLS, passwords
    from files, as systemd credentials would give them; `changes` by setting name."""
    ns = Namespace(tmp_path.name[-12:])
    settings: Mapping[str, str] = {
        "kafka_bootstrap": secured.kafka,
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username": KAFKA_USER,
        "kafka_sasl_password_file": str(secured.secrets / "kafka-password"),
        "kafka_ssl_cafile": str(secured.tls.ca),
        "kafka_ssl_certfile": str(secured.tls.client.cert),
        "kafka_ssl_keyfile": str(secured.tls.client.key),
        "redis_url": secured.redis,
        "redis_username": REDIS_USER,
        "redis_password_file": str(secured.secrets / "redis-password"),
        "redis_ssl_cafile": str(secured.tls.ca),
        "redis_ssl_certfile": str(secured.tls.client.cert),
        "redis_ssl_keyfile": str(secured.tls.client.key),
        "redis_key_prefix": PREFIX,
        "topic_prefix": ns.topic_prefix,
        "group_prefix": ns.group_prefix,
        "state_dir": str(tmp_path / "state"),
        "demo_port": str(free_port()),
        "metrics_port": "0",
        "web_port": "0",
        **changes,
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    return {**clean, **{f"NEWSFLOW_{name.upper()}": value for name, value in settings.items()}}


def _newsflow(env: Mapping[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_stream_runs_through_a_secured_kafka_and_redis(
    secured: Secured, tmp_path: Path
) -> None:
    env = _env(secured, tmp_path)
    run = subprocess.Popen(
        [sys.executable, "-m", "newsflow", "run", "--demo"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and len(lines) < 8 and run.poll() is None:
            time.sleep(2)
            watch = ["watch", "--from-beginning", "--idle-exit-s", "3", "--json"]
            lines = _newsflow(env, tmp_path, *watch).stdout.splitlines()
        status = _newsflow(env, tmp_path, "status")
        stories = _newsflow(env, tmp_path, "stories")
        shown = _newsflow(env, tmp_path, "config")
    finally:
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)

    assert run.returncode == 0, stderr[-3000:]
    messages = [json.loads(line) for line in lines]
    assert len(messages) == 8, f"expected the 8 demo stories, got {len(messages)}: {stderr[-2000:]}"
    assert (
        sorted(m["dedupe"]["relation"] for m in messages) == ["exact_duplicate"] + ["original"] * 7
    )
    assert status.returncode == 0 and "8 processed" in status.stdout, status.stderr
    assert stories.returncode == 0, stories.stderr
    # The passwords came from files and are shown nowhere.
    for output in (stderr, status.stdout, status.stderr, stories.stdout, shown.stdout):
        assert KAFKA_PASSWORD not in output and REDIS_PASSWORD not in output
    assert "kafka_sasl_password_file" in shown.stdout


def test_plain_sasl_with_a_password_setting_reaches_the_broker(
    secured: Secured, tmp_path: Path
) -> None:
    env = _env(
        secured,
        tmp_path,
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username=PLAIN_USER,
        kafka_sasl_password=PLAIN_PASSWORD,
        kafka_sasl_password_file="",
    )
    # `consumers` reads the broker's groups: no login, no answer.
    done = _newsflow(env, tmp_path, "consumers")
    assert done.returncode == 0, done.stderr
    assert PLAIN_PASSWORD not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        (
            {"kafka_sasl_password_file": "", "kafka_sasl_password": "not-the-password"},
            "check kafka_sasl_username and kafka_sasl_password",
        ),
        ({"kafka_ssl_cafile": "STRANGER"}, "check kafka_ssl_cafile"),
        (
            {"kafka_ssl_certfile": "", "kafka_ssl_keyfile": ""},
            "refused our TLS client certificate",
        ),
        ({"kafka_sasl_mechanism": "SCRAM-SHA-256"}, "check kafka_sasl_mechanism"),
        (
            {"redis_password_file": "", "redis_password": "not-the-password"},
            "check redis_username and redis_password",
        ),
        ({"redis_ssl_cafile": "STRANGER"}, "check redis_ssl_cafile"),
        (
            {"redis_ssl_certfile": "", "redis_ssl_keyfile": ""},
            "refused our TLS client certificate",
        ),
        (
            {
                "redis_username": NARROW_USER,
                "redis_password_file": "",
                "redis_password": NARROW_PASSWORD,
            },
            "HSETNX in a script on dedupe keys",
        ),
    ],
    ids=[
        "kafka-wrong-password",
        "kafka-untrusted-ca",
        "kafka-no-client-certificate",
        "kafka-wrong-mechanism",
        "redis-wrong-password",
        "redis-untrusted-ca",
        "redis-no-client-certificate",
        "redis-acl-missing-a-command",
    ],
)
def test_a_refusing_cluster_stops_the_run_at_once_naming_the_setting(
    secured: Secured, tmp_path: Path, changes: dict[str, str], named: str
) -> None:
    stranger = str(secured.tls.stranger_ca)
    env = _env(
        secured, tmp_path, **{k: stranger if v == "STRANGER" else v for k, v in changes.items()}
    )
    done = _newsflow(env, tmp_path, "run", "--demo")
    assert done.returncode == 3
    # The refusal itself, not a timeout after retries ("not ready after 30s").
    assert named in done.stderr, done.stderr[-3000:]
    assert "not ready" not in done.stderr and "Traceback" not in done.stderr
    assert "not-the-password" not in done.stderr


@pytest.mark.parametrize(
    "command",
    [("watch", "--idle-exit-s", "1"), ("run", "--stage", "dedupe"), ("consumers",), ("status",)],
    ids=lambda command: " ".join(command[:2]),
)
def test_every_command_names_a_refused_kafka_login(
    secured: Secured, tmp_path: Path, command: tuple[str, ...]
) -> None:
    env = _env(
        secured, tmp_path, kafka_sasl_password_file="", kafka_sasl_password="not-the-password"
    )
    done = _newsflow(env, tmp_path, *command)
    assert done.returncode == 3
    assert "check kafka_sasl_username and kafka_sasl_password" in done.stderr, done.stderr[-2000:]
    assert "not-the-password" not in done.stderr


def test_a_stage_alone_names_a_missing_acl_permission(secured: Secured, tmp_path: Path) -> None:
    env = _env(
        secured,
        tmp_path,
        redis_username=NARROW_USER,
        redis_password_file="",
        redis_password=NARROW_PASSWORD,
    )
    done = _newsflow(env, tmp_path, "run", "--stage", "tag")
    assert done.returncode == 3  # refused: deploy/newsflow.service does not restart on it
    assert "HSETNX in a script on dedupe keys" in done.stderr, done.stderr[-2000:]


def test_an_acl_refusal_met_while_running_stops_the_stage_not_the_article(
    secured: Secured,
) -> None:
    """A command the ACL denies inside a script (the ACL changed after the start check) is
    AccessRefused, which stops the stage, not a script error that would dead-letter the
    article."""
    client = connect_redis(
        RedisConnection(
            secured.redis,
            NARROW_USER,
            NARROW_PASSWORD,
            ssl_cafile=str(secured.tls.ca),
            ssl_certfile=str(secured.tls.client.cert),
            ssl_keyfile=str(secured.tls.client.key),
        )
    )
    script = DirectScript(client, "return redis.call('HSETNX', KEYS[1], 'f', '1')")
    try:
        with pytest.raises(AccessRefused, match="redis ACL refused a command"):
            script.many(keys=[f"{{{PREFIX}dedupe}}:probe"], calls=[[]])
    finally:
        client.close()


@pytest.mark.parametrize("command", [("status",), ("stories",)])
def test_the_redis_commands_name_a_refused_redis_login(
    secured: Secured, tmp_path: Path, command: tuple[str, ...]
) -> None:
    feeds = tmp_path / "feeds.toml"  # `status` reads the feeds' health from Redis
    feeds.write_text('[[feed]]\nurl = "https://news.example.org/rss.xml"\n', encoding="utf-8")
    env = _env(
        secured,
        tmp_path,
        redis_password_file="",
        redis_password="not-the-password",
        feeds_file=str(feeds),
    )
    done = _newsflow(env, tmp_path, *command)
    assert done.returncode == 3
    assert "check redis_username and redis_password" in done.stderr, done.stderr[-2000:]
    assert "not-the-password" not in done.stderr
