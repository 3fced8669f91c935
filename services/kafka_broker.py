"""Start a single-node Apache Kafka (KRaft: broker and controller in one JVM) from Maven jars.

The jars come from tools/kafka-runtime/pom.xml (`make kafka-jars`). Debian has no Kafka
package and this machine has no Docker engine, so we run `kafka.Kafka` with `java -cp`.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from adapters.kafka_client import wait_for_kafka
from schemas.limits import MAX_RECORD_BYTES
from services.process import ManagedProcess, ServiceStartError
from workers.errors import TransientError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIBS = REPO_ROOT / ".kafka" / "libs"
LOG4J_CONFIG = Path(__file__).resolve().parent / "kafka-log4j2.properties"

# Upstream kafka-run-class.sh defaults.
JVM_GC_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)


@dataclass(frozen=True)
class SecuredListener:
    """A SASL_SSL listener for clients, beside the plaintext one the broker uses for itself:
    TLS with the key and certificate chain of `keystore_pem` (a PKCS#8 key first, then the
    chain: Kafka's PEM keystore), SCRAM-SHA-512 users created at format time by the
    broker's own storage tool, and PLAIN users from its JAAS configuration. With
    `client_ca`, clients must present a certificate that CA signed (mutual TLS)."""

    port: int
    keystore_pem: Path
    scram_users: tuple[tuple[str, str], ...] = ()
    plain_users: tuple[tuple[str, str], ...] = ()
    client_ca: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def properties(self) -> dict[str, str]:
        plain = " ".join(f'user_{name}="{password}"' for name, password in self.plain_users)
        props = {
            "sasl.enabled.mechanisms": "SCRAM-SHA-512,PLAIN",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "listener.name.sasl_ssl.plain.sasl.jaas.config": (
                f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain};"
            ),
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.keystore_pem),
        }
        if self.client_ca is not None:
            props |= {
                # A SASL_SSL listener asks for client certificates only when told so under
                # its own name: the broker-wide ssl.client.auth does not reach it (KIP-684).
                "listener.name.sasl_ssl.ssl.client.auth": "required",
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": str(self.client_ca),
            }
        return props

    def format_arguments(self) -> list[str]:
        """The storage tool's arguments that create the SCRAM users (KIP-900)."""
        out: list[str] = []
        for name, password in self.scram_users:
            out += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
        return out


@dataclass(frozen=True)
class BrokerConfig:
    port: int
    controller_port: int
    data_dir: Path
    heap: str = "512m"
    partitions: int = 3
    libs: Path = DEFAULT_LIBS
    secured: SecuredListener | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


def kafka_version(libs: Path) -> str:
    """The broker version, read from the name of its jar (kafka_2.13-4.3.1.jar -> 4.3.1)."""
    jars = sorted(libs.glob("kafka_2.13-*.jar"))
    return jars[0].stem.split("-", 1)[1] if jars else "unknown"


def new_cluster_id() -> str:
    """Kafka's Uuid text form: 16 random bytes, base64url without padding, no leading '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def server_properties(cfg: BrokerConfig) -> str:
    # 127.0.0.1, not localhost, which may resolve to ::1.
    listeners = f"PLAINTEXT://127.0.0.1:{cfg.port},CONTROLLER://127.0.0.1:{cfg.controller_port}"
    protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    if cfg.secured is not None:
        listeners += f",SASL_SSL://{cfg.secured.bootstrap}"
        protocols += ",SASL_SSL:SASL_SSL"
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{cfg.controller_port}",
        "listeners": listeners,
        "advertised.listeners": listeners,
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": protocols,
        "log.dirs": str(cfg.data_dir / "log"),
        # One node: the default replication factors of 3 leave the coordinators unavailable.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Start fast: no rebalance delay, small internal topics, few threads for 2 cores.
        "group.initial.rebalance.delay.ms": "0",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.num.partitions": "1",
        "num.partitions": str(cfg.partitions),
        "num.network.threads": "2",
        "num.io.threads": "4",
        "background.threads": "2",
        "group.coordinator.threads": "1",
        # The largest record batch, for topics that set none of their own (schemas/limits.py).
        "message.max.bytes": str(MAX_RECORD_BYTES),
        # The cleaner's dedupe buffer is on-heap (128 MiB by default).
        "log.cleaner.dedupe.buffer.size": "33554432",
    }
    if cfg.secured is not None:
        lines |= cfg.secured.properties()
    return "".join(f"{k}={v}\n" for k, v in lines.items())


def _java_cmd(cfg: BrokerConfig, heap: str, main: str, *args: str) -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise ServiceStartError("java not found on PATH: Kafka needs Java 17 or newer")
    return [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        *JVM_GC_FLAGS,
        "-XX:+ExitOnOutOfMemoryError",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={cfg.data_dir / 'logs'}",
        "-cp",
        f"{cfg.libs}/*",  # the JVM expands the wildcard
        main,
        *args,
    ]


def _format_storage(cfg: BrokerConfig, props: Path) -> None:
    """Format the log dir once; a dir that holds meta.properties keeps its data across runs."""
    if (cfg.data_dir / "log" / "meta.properties").exists():
        return
    cmd = _java_cmd(
        cfg,
        "256m",
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "-t",
        new_cluster_id(),
        "-c",
        str(props),
        *(cfg.secured.format_arguments() if cfg.secured is not None else ()),
    )
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise ServiceStartError(f"kafka storage format failed:\n{done.stdout}\n{done.stderr}")


def start_broker(cfg: BrokerConfig, timeout_s: float = 120.0) -> ManagedProcess:
    """Format (if new), start and wait for a real metadata round trip."""
    if not (cfg.libs.is_dir() and any(cfg.libs.glob("kafka_2.13-*.jar"))):
        raise ServiceStartError(
            f"kafka jars not found in {cfg.libs}: run `make kafka-jars` (needs Maven)"
        )
    for sub in ("log", "logs"):
        (cfg.data_dir / sub).mkdir(parents=True, exist_ok=True)
    props = cfg.data_dir / "server.properties"
    props.write_text(server_properties(cfg), encoding="utf-8")
    _format_storage(cfg, props)
    log_path = cfg.data_dir / "broker.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            _java_cmd(cfg, cfg.heap, "kafka.Kafka", str(props)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal must not reach the broker first
        )
    broker = ManagedProcess("kafka broker", proc, log_path)
    try:
        wait_for_kafka(cfg.bootstrap, timeout_s, is_alive=broker.is_running)
    except TransientError as exc:
        broker.stop()
        raise broker.failure(f"did not become ready at {cfg.bootstrap} ({exc})") from exc
    return broker
