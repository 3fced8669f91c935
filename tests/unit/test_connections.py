"""How a connection description becomes the client libraries' options, and the Redis ACL
newsflow documents: pure, no server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import redis
from redis.exceptions import NoPermissionError, ResponseError

from adapters import dedupe_index, story_index
from adapters import feed_state as feed_state_module
from adapters.connections import KafkaConnection, RedisConnection, kafka_options
from adapters.dedupe_index import RedisDedupeIndex
from adapters.feed_state import RedisFeedState
from adapters.kafka_client import judge_login
from adapters.redis_access import SCRIPT_COMMANDS, acl_rule, key_families
from adapters.redis_client import redis_failure
from adapters.story_index import RedisStoryIndex
from workers.errors import AccessRefused, TransientError


@pytest.mark.parametrize(
    ("protocol", "sasl", "tls"),
    [
        ("PLAINTEXT", False, False),
        ("SSL", False, True),
        ("SASL_PLAINTEXT", True, False),
        ("SASL_SSL", True, True),
    ],
)
def test_kafka_options_carry_sasl_and_tls_only_where_the_protocol_uses_them(
    protocol: str, sasl: bool, tls: bool
) -> None:
    options = KafkaConnection(
        "b:9093",
        security_protocol=protocol,
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="u",
        sasl_password="p",
        ssl_cafile="/ca.pem",
    ).client_options()
    assert options["security_protocol"] == protocol
    assert ("sasl_plain_password" in options) is sasl
    assert (options.get("ssl_cafile") == "/ca.pem") is tls
    assert options["bootstrap_servers"] == "b:9093"


def test_a_bare_bootstrap_string_is_a_plaintext_cluster() -> None:
    assert kafka_options("h:9092") == {
        "bootstrap_servers": "h:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_mutual_tls_files_and_hostname_checking_reach_the_client() -> None:
    options = KafkaConnection(
        "b:9093",
        security_protocol="SSL",
        ssl_certfile="/c.pem",
        ssl_keyfile="/k.pem",
        ssl_check_hostname=False,
    ).client_options()
    assert (options["ssl_certfile"], options["ssl_keyfile"]) == ("/c.pem", "/k.pem")
    assert options["ssl_check_hostname"] is False
    assert options["ssl_cafile"] is None  # the system's authorities


def test_redis_tls_options_only_for_a_rediss_url() -> None:
    plain = RedisConnection("redis://h:6379/0", ssl_cafile="/ca.pem").client_options()
    assert not any(k.startswith("ssl") for k in plain)
    tls = RedisConnection("rediss://h:6380/0", "u", "p", ssl_cafile="/ca.pem").client_options()
    assert tls["ssl_ca_certs"] == "/ca.pem" and tls["ssl_cert_reqs"] == "required"
    assert (tls["username"], tls["password"]) == ("u", "p")


def test_a_redis_connection_shown_never_holds_a_password() -> None:
    shown = RedisConnection("rediss://u:in-url@h:6380/0", password="set").__str__()
    assert shown == "rediss://h:6380/0"
    assert "set" not in repr(RedisConnection("redis://h/0", password="set"))


def test_the_script_commands_are_the_ones_the_scripts_run() -> None:
    """Redis checks a script's commands against the user's ACL: the rule must grant each
    command the Lua sources call, by key family."""

    def called(source: str) -> set[str]:
        return set(re.findall(r"redis\.call\('([A-Z]+)'", source))

    assert called(dedupe_index._OBSERVE) == set(SCRIPT_COMMANDS["dedupe"])
    assert called(story_index._READ + story_index._COMMIT) == set(SCRIPT_COMMANDS["story"])


def test_the_acl_rule_grants_those_commands_on_newsflows_keys_only() -> None:
    rule = acl_rule("newsflow:", "nf").split()
    assert rule[:3] == ["nf", "on", "resetkeys"]
    assert "-@all" in rule and "+@all" not in rule
    granted = {word[1:].upper() for word in rule if word.startswith("+")}
    assert {"HSETNX", "HMGET", "SETRANGE", "HGETALL", "EVALSHA"} <= granted
    assert {c for family in SCRIPT_COMMANDS.values() for c in family} <= granted
    assert {word for word in rule if word.startswith("~")} == {
        "~{newsflow:dedupe}:*",
        "~{newsflow:story}:*",
        "~newsflow:feed:*",
    }


def test_glob_characters_of_a_prefix_are_escaped_in_the_rule() -> None:
    assert "~{a\\*b:dedupe}:*" in acl_rule("a*b:").split()


def test_the_key_families_are_the_ones_the_indexes_write() -> None:
    """The rule cannot drift from the keys: each index's key base starts with its family."""
    families, client = key_families("p:"), redis.Redis()  # never connects: nothing is sent
    assert RedisDedupeIndex(client, "p:").base.startswith(families["dedupe"])
    assert RedisStoryIndex(client, "p:", window_s=3600).base.startswith(families["story"])
    feed_state, url = RedisFeedState(client, "p:"), "https://x/feed"
    for key in (feed_state._pace_key(url), feed_state._health_key(url)):
        assert key.startswith(families["feed state"])
    # the validators' and seen entries' keys, written in place in adapters/feed_state.py
    source = Path(feed_state_module.__file__).read_text(encoding="utf-8")
    written = re.findall(r'f"\{self\.prefix\}([a-z0-9:]+)', source)
    assert written and all(("p:" + k).startswith(families["feed state"]) for k in written)


SCRAM = KafkaConnection("b:9093", "SASL_SSL", "SCRAM-SHA-512", "nf", "pw", "/ca.pem")
REFUSED = "Bootstrap connection to bootstrap-0 failed: [Error 58] SaslAuthenticationFailedError"
CLOSED = "<KafkaSSLTransport [b:9093<-5]>: socket disconnected"
DOWN = "Bootstrap connection to bootstrap-0 failed: [Errno 111] Connection refused"


@pytest.mark.parametrize(
    ("said", "closed_before", "verdict"),
    [
        ([REFUSED], 0, "refused the login"),
        ([CLOSED, REFUSED], 0, "refused the login"),
        (["[Error 33] UnsupportedSaslMechanismError"], 0, "check kafka_sasl_mechanism"),
        ([CLOSED], 0, 1),
        ([CLOSED], 1, 2),
        ([CLOSED], 2, "closed every connection during the SASL login"),
        ([CLOSED, DOWN], 2, 0),  # a broker going down is not a refusal
        ([DOWN], 0, 0),
        ([], 1, 0),
    ],
)
def test_what_kafka_python_logged_of_an_attempt_judges_the_login(
    said: list[str], closed_before: int, verdict: str | int
) -> None:
    if isinstance(verdict, int):
        assert judge_login(SCRAM, said, closed_before) == verdict
        return
    with pytest.raises(AccessRefused, match=verdict) as raised:
        judge_login(SCRAM, said, closed_before)
    assert "pw" not in str(raised.value).replace("password", "")


def test_a_cluster_without_sasl_has_no_login_to_judge() -> None:
    assert judge_login(KafkaConnection("b:9092"), [REFUSED, CLOSED], 2) == 0


@pytest.mark.parametrize(
    ("bootstrap", "server"),
    [
        ("b1.example:9096,b2.example:9096", ("b1.example", 9096)),
        ("b1.example", ("b1.example", 9092)),
        ("[::1]:9093", ("::1", 9093)),
        ("[::1]", ("::1", 9092)),
    ],
)
def test_the_first_bootstrap_server_with_kafkas_port_when_none_is_given(
    bootstrap: str, server: tuple[str, int]
) -> None:
    assert KafkaConnection(bootstrap).first_server() == server


def test_a_commands_acl_refusal_is_access_refused_not_a_retry() -> None:
    """redis-py leaves NOPERM out of NoPermissionError's text; inside a script, Redis words
    the refusal itself."""
    command = NoPermissionError("User nf has no permissions to run the 'hset' command")
    in_script = ResponseError("The user executing the script can't run this command")
    for error in (command, in_script):
        assert isinstance(redis_failure(error, "feed state write"), AccessRefused)
    assert isinstance(redis_failure(ResponseError("WRONGTYPE"), "x"), TransientError)


def test_a_database_other_than_0_adds_select_to_the_rule() -> None:
    assert "+select" not in acl_rule("p:").split()
    assert "+select" in acl_rule("p:", select=True).split()
