"""One settings object per process, from the config file (TOML) and NEWSFLOW_* variables.

Every setting is declared once in SETTINGS (name, type, default, doc): the loader, the table
of docs/configuration.md and tests/unit/test_settings.py all read that table. Loading is
pure (the caller passes the environment and the file text) and reports every problem at
once.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from adapters.connections import (
    KAFKA_SASL_MECHANISMS,
    KAFKA_SECURITY_PROTOCOLS,
    KafkaConnection,
    RedisConnection,
)
from ingest.text_caps import DEFAULT_MAX_BODY_BYTES
from schemas.limits import MAX_RECORD_BYTES

ENV_PREFIX = "NEWSFLOW_"
MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]
# Six partitions split evenly among 1, 2, 3 or 6 processes of a stage. With three, two
# processes got two partitions and one (a group gives each member whole partitions), so
# the busier one set the pace and two processes did at most 1.5 times the work of one.
DEFAULT_TOPIC_PARTITIONS = 6
# An article message carries its text about three times (body, paragraphs, the page's
# paragraphs) beside a few fields: a quarter of a record is the most its text may take.
MAX_BODY_BYTES = MAX_RECORD_BYTES // 4
MIN_BODY_BYTES = 1024


@dataclass(frozen=True)
class Setting:
    name: str
    kind: type
    default: Any
    doc: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def shown_default(self) -> str:
        """The default as the settings table of docs/configuration.md writes it."""
        if self.default in ("", []):
            return "(empty)"
        if isinstance(self.default, Path) and self.default.is_relative_to(REPO):
            return str(self.default.relative_to(REPO))  # the bundled file, from any directory
        return str(self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "kafka_bootstrap",
        str,
        "",
        "Kafka bootstrap servers; empty: `newsflow run` starts a local broker",
    ),
    Setting(
        "kafka_security_protocol",
        str,
        "PLAINTEXT",
        "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (managed clusters: SASL_SSL)",
    ),
    Setting(
        "kafka_sasl_mechanism",
        str,
        "",
        "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; required with SASL_*",
    ),
    Setting("kafka_sasl_username", str, "", "the SASL user; required with SASL_*"),
    Setting(
        "kafka_sasl_password",
        str,
        "",
        "the SASL user's password (masked in `newsflow config`); or kafka_sasl_password_file",
    ),
    Setting(
        "kafka_sasl_password_file",
        str,
        "",
        "a file holding the SASL password (a systemd credential, a container secret)",
    ),
    Setting(
        "kafka_ssl_cafile",
        str,
        "",
        "PEM file of the authorities that sign the brokers' certificates; empty: the system's",
    ),
    Setting("kafka_ssl_certfile", str, "", "client certificate (PEM), for mutual TLS"),
    Setting("kafka_ssl_keyfile", str, "", "the client certificate's private key (PEM)"),
    Setting(
        "kafka_ssl_check_hostname",
        bool,
        True,
        "check that a broker's certificate names the host connected to",
    ),
    Setting(
        "redis_url",
        str,
        "",
        "Redis URL (rediss:// for TLS); empty: `newsflow run` starts a local redis-server",
    ),
    Setting("redis_username", str, "", "Redis ACL user; empty: the URL's, else default"),
    Setting(
        "redis_password",
        str,
        "",
        "the Redis user's password (masked in `newsflow config`); or redis_password_file",
    ),
    Setting("redis_password_file", str, "", "a file holding the Redis password"),
    Setting(
        "redis_ssl_cafile",
        str,
        "",
        "PEM file of the authorities that sign Redis's certificate (rediss://); empty: the"
        " system's",
    ),
    Setting("redis_ssl_certfile", str, "", "client certificate (PEM), where Redis asks for one"),
    Setting("redis_ssl_keyfile", str, "", "the client certificate's private key (PEM)"),
    Setting(
        "redis_ssl_check_hostname",
        bool,
        True,
        "check that Redis's certificate names the host connected to",
    ),
    Setting(
        "feeds_file",
        Path,
        Path("feeds.toml"),
        "the feeds file (TOML); `--demo` uses the demo's own",
    ),
    Setting(
        "tag_rules_file",
        Path,
        REPO / "config" / "tag-rules.toml",
        "watch list and topics of the tag stage (TOML), re-read when it changes",
    ),
    Setting(
        "topic_prefix", str, "", "prefix for every topic name (isolates deployments on one broker)"
    ),
    Setting("group_prefix", str, "", "prefix for every consumer group name"),
    Setting("redis_key_prefix", str, "newsflow:", "prefix for every Redis key"),
    Setting(
        "topic_partitions",
        int,
        DEFAULT_TOPIC_PARTITIONS,
        "partitions of the topics newsflow creates",
    ),
    Setting(
        "delivery",
        str,
        "exactly_once",
        "exactly_once: a stage's outputs and its input offsets in one Kafka transaction, "
        "read_committed consumers see each record once; at_least_once: a crash may repeat "
        "a record on the output (same key, same verdict)",
    ),
    Setting(
        "instance",
        str,
        "",
        "this process's name among the processes of its stage, in its Kafka transactional "
        "id: unique per process (two sharing one fence each other: the stage exits) and "
        "stable across its restarts, so that a restarted process aborts what its predecessor "
        "left open at once (newsflow run numbers its children after its own process id; "
        "empty: host name and process id, and a process restarted by something else leaves "
        "read_committed consumers waiting up to 30 s)",
    ),
    Setting(
        "commit_interval_s",
        float,
        0.1,
        "the longest a worker stage holds what it handled before it flushes and commits (a "
        "transaction when exactly_once) while input keeps coming; a stage that has caught up "
        "commits at once; a crash replays up to this much input",
    ),
    Setting(
        "consumer_watch_interval_s",
        float,
        10.0,
        "how often the consumer groups of the output topics are sampled (newsflow run, "
        "newsflow consumers)",
    ),
    Setting("consumer_window", int, 10, "samples a consumer group is judged over"),
    Setting(
        "consumer_stopped_after_s",
        float,
        120.0,
        "a consumer group with records waiting and no offset moved this long is stopped",
    ),
    Setting(
        "webhook_url",
        str,
        "",
        "where each change of a consumer group's state is POSTed; empty: none",
    ),
    Setting(
        "webhook_secret",
        str,
        "",
        "shared secret of the webhook's HMAC-SHA256 signature (X-Newsflow-Signature header)",
    ),
    Setting("poll_interval_s", float, 300.0, "a feed's first interval; then it adapts"),
    Setting("poll_min_interval_s", float, 60.0, "shortest interval between two polls of a feed"),
    Setting("poll_max_interval_s", float, 21600.0, "longest interval between two polls of a feed"),
    Setting(
        "poll_unconditional_every_s",
        float,
        21600.0,
        "a feed is fetched without validators at least this often (servers that answer 304"
        " wrongly); 0: never",
    ),
    Setting("poll_concurrency", int, 16, "feeds polled at the same time"),
    Setting("poll_host_concurrency", int, 1, "requests in flight to one host at most"),
    Setting("poll_host_delay_s", float, 0.5, "pause between two requests to one host"),
    Setting(
        "poll_max_pages",
        int,
        10,
        "pages of a feed read in one poll at most, its own included, to close a probable gap",
    ),
    Setting("dedupe_window_s", int, 7 * 24 * 3600, "how long an article is remembered for dedupe"),
    Setting(
        "dedupe_bucket_bits",
        int,
        14,
        "the dedupe index spreads over 2^N Redis hashes per time slot (see Dedupe)",
    ),
    Setting(
        "story_window_s",
        int,
        72 * 3600,
        "an article joins a story that grew within this time of it; stories are kept as long",
    ),
    Setting(
        "story_bucket_bits",
        int,
        10,
        "the story index spreads its keys over at most 2^N Redis hashes per time slot: a slot"
        " takes as many as the slot before's articles need (see Stories)",
    ),
    Setting(
        "story_cross_language",
        bool,
        False,
        "match stories across languages too, by a multilingual sentence encoder (about 15 ms"
        " of CPU an article; see Stories)",
    ),
    Setting("fetch_connect_timeout_s", float, 5.0, "HTTP connect timeout"),
    Setting("fetch_read_timeout_s", float, 10.0, "HTTP read timeout between two bytes"),
    Setting("fetch_total_timeout_s", float, 30.0, "HTTP total time for one fetch"),
    Setting("max_feed_bytes", int, 15 * MIB, "largest feed body (decompressed)"),
    Setting("max_page_bytes", int, 10 * MIB, "largest article page (decompressed)"),
    Setting("max_redirects", int, 5, "redirects followed per fetch"),
    Setting(
        "max_body_bytes",
        int,
        DEFAULT_MAX_BODY_BYTES,
        "text an article carries at most (UTF-8); more is cut at a paragraph's end and the"
        " message says `truncated`; a feed entry's summary and content are capped alike",
    ),
    Setting("extract_budget_s", float, 10.0, "time one page's extraction may take; 0: no limit"),
    Setting(
        "page_fetch_concurrency",
        int,
        8,
        "article pages an extract process fetches ahead at once, while it extracts the one before",
    ),
    Setting("page_host_concurrency", int, 2, "of those, requests in flight to one host at most"),
    Setting(
        "fetch_allow_networks",
        list,
        [],
        "addresses/networks the SSRF guard lets through, e.g. 127.0.0.1",
    ),
    Setting(
        "user_agent", str, "newsflow/0.1 (+https://github.com/newsflow/newsflow)", "HTTP User-Agent"
    ),
    Setting("state_dir", Path, Path(".run"), "where local servers keep data and logs"),
    Setting("local_kafka_port", int, 19092, "port of the local broker `newsflow run` starts"),
    Setting("local_redis_port", int, 6390, "port of the local redis-server `newsflow run` starts"),
    Setting("demo_port", int, 8765, "port of the demo replay server (`newsflow run --demo`)"),
    Setting("metrics_host", str, "127.0.0.1", "address of /metrics, /healthz and /readyz"),
    Setting("metrics_port", int, 9108, "port of /metrics, /healthz and /readyz; 0: none"),
    Setting("web_host", str, "127.0.0.1", "address of the newsroom view; not loopback: web_token"),
    Setting(
        "web_port", int, 8090, "port of the newsroom view (`newsflow run`, `newsflow web`); 0: none"
    ),
    Setting("web_token", str, "", "the newsroom view's token, required off loopback (?token=...)"),
    Setting("web_history_h", float, 24.0, "hours of the processed topic the view reads on start"),
    Setting("web_window_stories", int, 10_000, "stories the newsroom view holds, the newest"),
    Setting("log_level", str, "INFO", "DEBUG, INFO, WARNING or ERROR"),
    Setting("log_format", str, "text", "text (key=value) or json (one object a line)"),
)


def _read_secret(path: Path) -> str:
    # One trailing newline is the file's, not the password's (`echo pw > file`).
    return path.read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")


class SettingsError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str
    kafka_security_protocol: str
    kafka_sasl_mechanism: str
    kafka_sasl_username: str
    kafka_sasl_password: str = field(repr=False)
    kafka_sasl_password_file: str
    kafka_ssl_cafile: str
    kafka_ssl_certfile: str
    kafka_ssl_keyfile: str
    kafka_ssl_check_hostname: bool
    redis_url: str
    redis_username: str
    redis_password: str = field(repr=False)
    redis_password_file: str
    redis_ssl_cafile: str
    redis_ssl_certfile: str
    redis_ssl_keyfile: str
    redis_ssl_check_hostname: bool
    feeds_file: Path
    tag_rules_file: Path
    topic_prefix: str
    group_prefix: str
    redis_key_prefix: str
    topic_partitions: int
    delivery: str
    instance: str
    commit_interval_s: float
    consumer_watch_interval_s: float
    consumer_window: int
    consumer_stopped_after_s: float
    webhook_url: str
    webhook_secret: str = field(repr=False)
    poll_interval_s: float
    poll_min_interval_s: float
    poll_max_interval_s: float
    poll_unconditional_every_s: float
    poll_concurrency: int
    poll_host_concurrency: int
    poll_host_delay_s: float
    poll_max_pages: int
    dedupe_window_s: int
    dedupe_bucket_bits: int
    story_window_s: int
    story_bucket_bits: int
    story_cross_language: bool
    fetch_connect_timeout_s: float
    fetch_read_timeout_s: float
    fetch_total_timeout_s: float
    max_feed_bytes: int
    max_page_bytes: int
    max_redirects: int
    max_body_bytes: int
    extract_budget_s: float
    page_fetch_concurrency: int
    page_host_concurrency: int
    fetch_allow_networks: list[str]
    user_agent: str
    state_dir: Path
    local_kafka_port: int
    local_redis_port: int
    demo_port: int
    metrics_host: str
    metrics_port: int
    web_host: str
    web_port: int
    web_token: str = field(repr=False)
    web_history_h: float
    web_window_stories: int
    log_level: str
    log_format: str

    @classmethod
    def load(cls, environ: Mapping[str, str], file_text: str | None = None) -> Settings:
        problems: list[str] = []
        file_values = _file_values(file_text, problems)
        values = {}
        for setting in SETTINGS:
            in_file = setting.name in file_values
            from_file = file_values.pop(setting.name, None)
            if setting.env in environ:
                raw, where = environ[setting.env], setting.env
            elif in_file:
                raw, where = from_file, f"config file key {setting.name}"
            else:
                values[setting.name] = setting.default
                continue
            values[setting.name] = _convert(setting, raw, where, problems)
        problems += [f"config file: unknown key {key!r}" for key in sorted(file_values)]
        problems += _check_choices(values)
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    def with_services(self, kafka_bootstrap: str, redis_url: str) -> Settings:
        return _replace(self, kafka_bootstrap=kafka_bootstrap, redis_url=redis_url)

    def with_feeds_file(self, feeds_file: Path) -> Settings:
        return _replace(self, feeds_file=feeds_file)

    def with_files_read(self, read: Callable[[Path], str] = _read_secret) -> Settings:
        """The passwords that come from files read into their settings, and the TLS files
        read once (the impure half of loading: a CLI's first step), every unreadable file
        reported at once."""
        problems, changes = [], {}
        for name in ("kafka_sasl_password", "redis_password"):
            path = getattr(self, f"{name}_file")
            if not path:
                continue
            try:
                changes[name] = read(Path(path))
            except OSError as exc:
                problems.append(f"{name}_file={path!r}: cannot read it ({exc.strerror or exc})")
        for name in TLS_FILES:
            if path := getattr(self, name):
                try:
                    read(Path(path))
                except OSError as exc:
                    problems.append(f"{name}={path!r}: cannot read it ({exc.strerror or exc})")
        if problems:
            raise SettingsError(problems)
        return _replace(self, **changes) if changes else self

    def kafka(self) -> KafkaConnection:
        return KafkaConnection(
            bootstrap=self.kafka_bootstrap,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password,
            ssl_cafile=self.kafka_ssl_cafile,
            ssl_certfile=self.kafka_ssl_certfile,
            ssl_keyfile=self.kafka_ssl_keyfile,
            ssl_check_hostname=self.kafka_ssl_check_hostname,
        )

    def redis(self) -> RedisConnection:
        return RedisConnection(
            url=self.redis_url,
            username=self.redis_username,
            password=self.redis_password,
            ssl_cafile=self.redis_ssl_cafile,
            ssl_certfile=self.redis_ssl_certfile,
            ssl_keyfile=self.redis_ssl_keyfile,
            ssl_check_hostname=self.redis_ssl_check_hostname,
        )

    def masked(self) -> dict[str, str]:
        """The effective settings for printing, with passwords and secrets masked."""
        shown = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        shown["redis_url"] = mask_url_password(self.redis_url)
        for secret in SECRETS:
            if getattr(self, secret):
                shown[secret] = "***"
        return shown


SECRETS = ("kafka_sasl_password", "redis_password", "webhook_secret", "web_token")
TLS_FILES = (
    "kafka_ssl_cafile",
    "kafka_ssl_certfile",
    "kafka_ssl_keyfile",
    "redis_ssl_cafile",
    "redis_ssl_certfile",
    "redis_ssl_keyfile",
)


def _replace(settings: Settings, **changes: Any) -> Settings:
    return Settings(**{**{f.name: getattr(settings, f.name) for f in fields(settings)}, **changes})


def mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    userinfo = f"{parts.username or ''}:***@"
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, userinfo + host, parts.path, parts.query, parts.fragment))


def _file_values(file_text: str | None, problems: list[str]) -> dict[str, Any]:
    if file_text is None:
        return {}
    try:
        return dict(tomllib.loads(file_text))
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"config file is not valid TOML: {exc}")
        return {}


def _convert(setting: Setting, raw: Any, where: str, problems: list[str]) -> Any:
    try:
        if setting.kind is list:
            if isinstance(raw, str):
                return [part.strip() for part in raw.split(",") if part.strip()]
            if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
                return list(raw)
            raise ValueError("expected a list of strings")
        if setting.kind in (int, float) and isinstance(raw, bool):
            raise ValueError("expected a number")
        if setting.kind is bool:
            return _boolean(raw)
        value = setting.kind(raw)
        if setting.kind in (int, float) and value < 0:
            raise ValueError("must not be negative")
        return value
    except (TypeError, ValueError) as exc:
        problems.append(f"{where}={raw!r}: {exc}")
        return setting.default


TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _boolean(raw: Any) -> bool:
    """A TOML boolean, or an environment variable's true/false (yes/no, on/off, 1/0)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in (*TRUE, *FALSE):
        return raw.strip().lower() in TRUE
    raise ValueError("expected true or false")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _check_security(values: Mapping[str, Any]) -> list[str]:
    problems = []
    protocol = values["kafka_security_protocol"]
    if protocol not in KAFKA_SECURITY_PROTOCOLS:
        problems.append(
            f"kafka_security_protocol={protocol!r}: use {', '.join(KAFKA_SECURITY_PROTOCOLS)}"
        )
    elif protocol != "PLAINTEXT" and not values["kafka_bootstrap"]:
        problems.append(
            f"kafka_security_protocol={protocol}: set kafka_bootstrap too (the local broker "
            "`newsflow run` starts is PLAINTEXT)"
        )
    if not protocol.startswith("SASL_"):
        problems += [
            f"{name} is set but kafka_security_protocol={protocol} has no SASL login "
            "(SASL_SSL or SASL_PLAINTEXT)"
            for name in (
                "kafka_sasl_mechanism",
                "kafka_sasl_username",
                "kafka_sasl_password",
                "kafka_sasl_password_file",
            )
            if values[name]
        ]
    if protocol.startswith("SASL_"):
        if values["kafka_sasl_mechanism"] not in KAFKA_SASL_MECHANISMS:
            problems.append(
                f"kafka_sasl_mechanism={values['kafka_sasl_mechanism']!r}: with {protocol}, "
                f"use {', '.join(KAFKA_SASL_MECHANISMS)}"
            )
        if not values["kafka_sasl_username"]:
            problems.append(f"kafka_security_protocol={protocol}: set kafka_sasl_username")
        if not (values["kafka_sasl_password"] or values["kafka_sasl_password_file"]):
            problems.append(
                f"kafka_security_protocol={protocol}: set kafka_sasl_password or "
                "kafka_sasl_password_file"
            )
    if protocol not in ("SSL", "SASL_SSL"):
        problems += [
            f"{name} is set but kafka_security_protocol={protocol} uses no TLS"
            for name in ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile")
            if values[name]
        ]
    if urlsplit(values["redis_url"]).scheme != "rediss":
        problems += [
            f"{name} is set but redis_url is not a rediss:// (TLS) URL"
            for name in ("redis_ssl_cafile", "redis_ssl_certfile", "redis_ssl_keyfile")
            if values[name]
        ]
    if not values["redis_url"]:
        problems += [
            f"{name} is set: set redis_url too (the local redis-server has no users)"
            for name in ("redis_username", "redis_password", "redis_password_file")
            if values[name]
        ]
    for service in ("kafka", "redis"):
        if values[f"{service}_ssl_keyfile"] and not values[f"{service}_ssl_certfile"]:
            problems.append(
                f"{service}_ssl_keyfile is set: set {service}_ssl_certfile too (the client "
                "certificate the key belongs to)"
            )
    for name in ("kafka_sasl_password", "redis_password"):
        if values[name] and values[f"{name}_file"]:
            problems.append(f"{name} and {name}_file are both set: keep one")
    return problems


def _check_choices(values: Mapping[str, Any]) -> list[str]:
    problems = _check_security(values)
    if str(values["log_level"]).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        problems.append(f"log_level={values['log_level']!r}: use DEBUG, INFO, WARNING or ERROR")
    if values["log_format"] not in ("text", "json"):
        problems.append(f"log_format={values['log_format']!r}: use text or json")
    if values["webhook_url"] and urlsplit(values["webhook_url"]).scheme not in ("http", "https"):
        problems.append(f"webhook_url={values['webhook_url']!r}: an http:// or https:// URL")
    if values["webhook_url"] and not values["webhook_secret"]:
        problems.append("webhook_url is set: set webhook_secret too (the body is signed)")
    if values["web_port"] and not values["web_token"] and not _loopback(values["web_host"]):
        problems.append(
            f"web_host={values['web_host']!r} is not loopback: set web_token (the view shows "
            "the whole stream and the pipeline's state)"
        )
    if values["web_window_stories"] < 1:
        problems.append("web_window_stories must be at least 1")
    if values["consumer_window"] < 2:
        problems.append("consumer_window must be at least 2: a trend needs two samples")
    if values["delivery"] not in ("exactly_once", "at_least_once"):
        problems.append(f"delivery={values['delivery']!r}: use exactly_once or at_least_once")
    if not 4 <= values["dedupe_bucket_bits"] <= 16:
        problems.append("dedupe_bucket_bits must be between 4 and 16")
    if values["story_window_s"] < 3600:
        problems.append("story_window_s must be at least 3600: a story lives at least an hour")
    if not 4 <= values["story_bucket_bits"] <= 16:
        problems.append("story_bucket_bits must be between 4 and 16")
    if values["topic_partitions"] < 1:
        problems.append("topic_partitions must be at least 1")
    if not MIN_BODY_BYTES <= values["max_body_bytes"] <= MAX_BODY_BYTES:
        problems.append(
            f"max_body_bytes must be between {MIN_BODY_BYTES} and {MAX_BODY_BYTES}: a message"
            f" carries its text about three times and a record may hold {MAX_RECORD_BYTES} bytes"
        )
    return problems
