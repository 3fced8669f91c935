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
