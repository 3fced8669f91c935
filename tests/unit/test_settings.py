from pathlib import Path

import pytest

from newsflow.settings import SETTINGS, Settings, SettingsError, mask_url_password


def test_defaults_without_file_or_environment() -> None:
    settings = Settings.load({})
    assert settings.kafka_bootstrap == "" and settings.topic_partitions == 6
    assert settings.feeds_file == Path("feeds.toml")


def test_environment_overrides_the_file() -> None:
    text = 'poll_interval_s = 60\nredis_url = "redis://file:6379/0"\n'
    env = {
        "NEWSFLOW_POLL_INTERVAL_S": "15",
        "NEWSFLOW_FETCH_ALLOW_NETWORKS": "127.0.0.1, 10.0.0.0/8",
    }
    settings = Settings.load(env, text)
    assert settings.poll_interval_s == 15.0
    assert settings.redis_url == "redis://file:6379/0"
    assert settings.fetch_allow_networks == ["127.0.0.1", "10.0.0.0/8"]


def test_every_problem_is_reported_at_once() -> None:
    env = {"NEWSFLOW_TOPIC_PARTITIONS": "many", "NEWSFLOW_LOG_FORMAT": "xml"}
    with pytest.raises(SettingsError) as raised:
        Settings.load(env, "poll_interval_s = -1\nunknown_key = 1\n")
    text = "\n".join(raised.value.problems)
    assert len(raised.value.problems) == 4
    for needle in ("NEWSFLOW_TOPIC_PARTITIONS", "log_format", "poll_interval_s", "unknown_key"):
        assert needle in text


def test_invalid_toml_is_reported() -> None:
    with pytest.raises(SettingsError, match="not valid TOML"):
        Settings.load({}, "this is = = not toml")


def test_passwords_are_masked_when_settings_are_shown() -> None:
    settings = Settings.load({"NEWSFLOW_REDIS_URL": "redis://user:s3cret@db:6379/0"})
    assert "s3cret" not in str(settings.masked())
    assert mask_url_password("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert mask_url_password("redis://h:1/0") == "redis://h:1/0"


def test_every_setting_is_documented_with_its_default(repo_root: Path) -> None:
    page = (repo_root / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = page.splitlines()
    for setting in SETTINGS:
        row = next((line for line in rows if line.startswith(f"| `{setting.env}` |")), None)
        assert row is not None, f"{setting.env} is not in docs/configuration.md"
        assert f"`{setting.name}`" in row, f"{setting.env}: file key missing in its row"
        assert f"`{setting.shown_default}`" in row, f"{setting.env}: the row shows another default"


def test_dataclass_fields_and_the_settings_table_agree() -> None:
    assert list(Settings.__dataclass_fields__) == [s.name for s in SETTINGS]


@pytest.mark.parametrize(
    ("window_s", "refused"), [("0", True), ("3599", True), ("3600", False), ("259200", False)]
)
def test_a_story_window_under_an_hour_is_refused(window_s: str, refused: bool) -> None:
    """A window of 0 would make every story write fail in Redis (EX 0): every article a dead
    letter."""
    env = {"NEWSFLOW_STORY_WINDOW_S": window_s}
    if refused:
        with pytest.raises(SettingsError, match="story_window_s"):
            Settings.load(env, "")
    else:
        assert Settings.load(env, "").story_window_s == int(window_s)


@pytest.mark.parametrize(
    ("env", "file", "expected"),
    [
        pytest.param({}, "", False, id="off-by-default"),
        pytest.param({"NEWSFLOW_STORY_CROSS_LANGUAGE": "true"}, "", True, id="env-true"),
        pytest.param({"NEWSFLOW_STORY_CROSS_LANGUAGE": "0"}, "", False, id="env-0"),
        pytest.param({"NEWSFLOW_STORY_CROSS_LANGUAGE": " Yes "}, "", True, id="env-yes"),
        pytest.param({}, "story_cross_language = true\n", True, id="file-true"),
        pytest.param(
            {"NEWSFLOW_STORY_CROSS_LANGUAGE": "off"},
            "story_cross_language = true\n",
            False,
            id="env-over-file",
        ),
    ],
)
def test_a_switch_reads_true_and_false_as_people_write_them(
    env: dict[str, str], file: str, expected: bool
) -> None:
    assert Settings.load(env, file).story_cross_language is expected


@pytest.mark.parametrize("raw", ["maybe", "2", ""])
def test_a_switch_that_is_neither_true_nor_false_is_refused(raw: str) -> None:
    """bool("false") is True: without its own reading, any text would switch it on."""
    with pytest.raises(SettingsError, match=r"NEWSFLOW_STORY_CROSS_LANGUAGE=.*true or false"):
        Settings.load({"NEWSFLOW_STORY_CROSS_LANGUAGE": raw}, "")


SECURED = {
    "NEWSFLOW_KAFKA_BOOTSTRAP": "broker-1.example:9096,broker-2.example:9096",
    "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "NEWSFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "NEWSFLOW_KAFKA_SASL_USERNAME": "newsflow",
    "NEWSFLOW_KAFKA_SASL_PASSWORD": "kafka-pw",
    "NEWSFLOW_REDIS_URL": "rediss://redis.example:6380/0",
    "NEWSFLOW_REDIS_USERNAME": "newsflow",
    "NEWSFLOW_REDIS_PASSWORD": "redis-pw",
    "NEWSFLOW_REDIS_SSL_CAFILE": "/etc/ssl/redis-ca.pem",
}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "TLS"}, "kafka_security_protocol='TLS': use"),
        ({"NEWSFLOW_KAFKA_SASL_MECHANISM": "GSSAPI"}, "kafka_sasl_mechanism='GSSAPI'"),
        ({"NEWSFLOW_KAFKA_SASL_USERNAME": ""}, "set kafka_sasl_username"),
        ({"NEWSFLOW_KAFKA_SASL_PASSWORD": ""}, "set kafka_sasl_password or kafka_sasl_pass"),
        ({"NEWSFLOW_KAFKA_BOOTSTRAP": ""}, "set kafka_bootstrap too"),
        (
            {
                "NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                "NEWSFLOW_KAFKA_SSL_CAFILE": "x",
            },
            "kafka_ssl_cafile is set but kafka_security_protocol=SASL_PLAINTEXT uses no TLS",
        ),
        (
            {"NEWSFLOW_REDIS_URL": "redis://redis.example:6379/0"},
            "redis_ssl_cafile is set but redis_url is not a rediss://",
        ),
        ({"NEWSFLOW_REDIS_URL": ""}, "redis_username is set: set redis_url too"),
        ({"NEWSFLOW_REDIS_PASSWORD_FILE": "/run/pw"}, "redis_password and redis_password_file"),
        (
            {"NEWSFLOW_KAFKA_SECURITY_PROTOCOL": "SSL"},
            "kafka_sasl_username is set but kafka_security_protocol=SSL has no SASL login",
        ),
        ({"NEWSFLOW_REDIS_SSL_KEYFILE": "/k.pem"}, "set redis_ssl_certfile too"),
    ],
)
def test_a_security_setting_that_cannot_work_is_refused(
    changes: dict[str, str], problem: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.load({**SECURED, **changes})
    assert any(problem in line for line in raised.value.problems), raised.value.problems


def test_the_security_settings_become_one_connection_per_server() -> None:
    settings = Settings.load(SECURED)
    kafka, redis = settings.kafka(), settings.redis()
    assert kafka.client_options()["sasl_plain_password"] == "kafka-pw"
    assert kafka.bootstrap == SECURED["NEWSFLOW_KAFKA_BOOTSTRAP"]
    assert redis.client_options()["ssl_ca_certs"] == "/etc/ssl/redis-ca.pem"
    assert redis.client_options()["username"] == "newsflow"
    # The settings' text, as logs and errors would show it, holds no password.
    shown = str(settings.masked()) + repr(kafka) + repr(redis) + str(kafka) + str(redis)
    shown += repr(settings)
    assert "kafka-pw" not in shown and "redis-pw" not in shown


def test_passwords_come_from_files_and_every_unreadable_file_is_named() -> None:
    files = {"/run/credentials/kafka": "from-file\n", "/etc/ssl/redis-ca.pem": "PEM"}

    def read(path: Path) -> str:
        if str(path) not in files:
            raise FileNotFoundError(2, "No such file or directory")
        return files[str(path)].removesuffix("\n")

    env = {**SECURED, "NEWSFLOW_KAFKA_SASL_PASSWORD": ""}
    loaded = Settings.load({**env, "NEWSFLOW_KAFKA_SASL_PASSWORD_FILE": "/run/credentials/kafka"})
    assert loaded.with_files_read(read).kafka().sasl_password == "from-file"
    both_missing = Settings.load(
        {
            **env,
            "NEWSFLOW_KAFKA_SASL_PASSWORD_FILE": "/run/missing-1",
            "NEWSFLOW_REDIS_PASSWORD": "",
            "NEWSFLOW_REDIS_PASSWORD_FILE": "/run/missing-2",
        }
    )
    with pytest.raises(SettingsError) as raised:
        both_missing.with_files_read(read)
    assert [p.split("=")[0] for p in raised.value.problems] == [
        "kafka_sasl_password_file",
        "redis_password_file",
    ]


def test_a_password_file_loses_its_one_trailing_newline_only(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(" spaced pw \n", encoding="utf-8")
    env = {
        **SECURED,
        "NEWSFLOW_REDIS_PASSWORD": "",
        "NEWSFLOW_REDIS_PASSWORD_FILE": str(tmp_path / "pw"),
    }
    pw = Settings.load({**env, "NEWSFLOW_REDIS_SSL_CAFILE": ""}).with_files_read().redis().password
    assert pw == " spaced pw "


def test_an_unreadable_tls_file_is_named_with_the_others(tmp_path: Path) -> None:
    env = {**SECURED, "NEWSFLOW_REDIS_SSL_CAFILE": str(tmp_path / "missing-ca.pem")}
    with pytest.raises(SettingsError) as raised:
        Settings.load(env).with_files_read()
    assert raised.value.problems[0].startswith("redis_ssl_cafile=")
