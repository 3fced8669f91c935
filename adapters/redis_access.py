"""The Redis ACL newsflow needs, and a check at start that the server grants it.

A Redis shared with other programs gives newsflow an ACL user limited to its own keys and
commands. Commands a Lua script runs are checked against the same user (Redis 7), so the
list holds the scripts' commands too. The check runs each command once on a probe key of
each key family, in the script (EVAL) and from the client, and names every refusal at once.
docs/operations.md shows the ACL rule built from this list.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from redis.exceptions import NoScriptError, RedisError, ResponseError

from adapters.redis_client import ACL_DOC
from workers.errors import AccessRefused, TransientError

# Commands the scripts run, by key family (adapters/dedupe_index.py, story_index.py; a
# unit test reads them from the scripts' sources).
SCRIPT_COMMANDS: dict[str, tuple[str, ...]] = {
    "dedupe": ("GET", "SET", "EXISTS", "EXPIRE", "INCR", "HGET", "HSETNX"),
    "story": ("GET", "SET", "EXPIRE", "INCR", "HGET", "HMGET", "HSET"),
}
# Commands sent from the client: scripts, dedupe's cluster writes, the poller's feed state,
# `newsflow status`; SCAN for `newsflow stories` only (it lists keys whatever the user's key
# patterns: stages can do without it).
CLIENT_COMMANDS = (
    "PING",
    "EVAL",
    "EVALSHA",
    "SETRANGE",
    "HGETALL",
    "HSET",
    "HMGET",
    "MGET",
    "SET",
    "SCAN",
)


def key_families(prefix: str) -> dict[str, str]:
    """Every key newsflow writes starts with one of these (the braces are Redis Cluster hash
    tags: a script's keys share one slot)."""
    return {
        "dedupe": f"{{{prefix}dedupe}}:",
        "story": f"{{{prefix}story}}:",
        "feed state": f"{prefix}feed:",
    }


def acl_rule(prefix: str, user: str = "newsflow", *, select: bool = False) -> str:
    """The ACL SETUSER arguments that grant exactly what newsflow needs (no password);
    `select`: a database other than 0, which the client selects on connecting."""
    keys = " ".join(f"~{_pattern(base)}*" for base in key_families(prefix).values())
    needed = {*CLIENT_COMMANDS, *(c for names in SCRIPT_COMMANDS.values() for c in names)}
    needed |= {"SELECT"} if select else set()
    commands = " ".join(f"+{name.lower()}" for name in sorted(needed))
    return f"{user} on resetkeys {keys} resetchannels -@all {commands}"


def _pattern(base: str) -> str:
    """A key base as an ACL glob: braces, brackets and stars are glob syntax there."""
    return "".join(f"\\{c}" if c in "[]*?\\" else c for c in base)


# Each command a family's script runs, once on probe keys (set to expire in 5 s, so nothing
# stays behind); the reply names every command refused, or failed for another reason.
# redis.pcall returns the ACL error instead of raising it; inside a script, Redis 7.0 words
# it "The user executing the script can't run this command or subcommand" (or "can't
# access at least one of the keys"), without the NOPERM code.
_PROBE = """
local k, n, h = KEYS[1] .. 'acl-probe', KEYS[1] .. 'acl-probe-n', KEYS[1] .. 'acl-probe-h'
local calls = {
  SET = {'SET', k, '1', 'EX', 5}, GET = {'GET', k}, EXISTS = {'EXISTS', k},
  EXPIRE = {'EXPIRE', k, 5}, INCR = {'INCR', n}, HSET = {'HSET', h, 'f', '1'},
  HSETNX = {'HSETNX', h, 'g', '1'}, HGET = {'HGET', h, 'f'}, HMGET = {'HMGET', h, 'f', 'g'},
}
local failed = {}
for _, name in ipairs(ARGV) do
  local reply = redis.pcall(unpack(calls[name]))
  if type(reply) == 'table' and reply.err then
    if string.find(reply.err, 'NOPERM', 1, true)
        or string.find(reply.err, 'The user executing the script', 1, true) then
      table.insert(failed, name)
    else
      table.insert(failed, name .. ' failed: ' .. reply.err)
    end
  end
end
redis.pcall('EXPIRE', n, 5)
redis.pcall('EXPIRE', h, 5)
return failed
"""


def check_redis_access(client: redis.Redis, prefix: str) -> None:
    """AccessRefused listing every command and key family the ACL user may not use."""
    refused: list[str] = []
    families = key_families(prefix)
    for family, commands in SCRIPT_COMMANDS.items():
        refused += _script_refusals(client, families[family], family, commands)
    refused += _client_refusals(client, families)
    if refused:
        raise AccessRefused(
            "redis ACL refuses what newsflow needs: "
            + "; ".join(refused)
            + f"; grant the rule in {ACL_DOC}"
        )


def _script_refusals(
    client: redis.Redis, base: str, family: str, commands: tuple[str, ...]
) -> list[str]:
    try:
        failed = client.eval(_PROBE, 1, base, *commands)
    except ResponseError as exc:  # EVAL itself refused, renamed or disabled
        return [f"EVAL on {family} keys ({exc})"]
    except RedisError as exc:
        raise TransientError(f"redis ACL check failed: {exc}") from exc
    return [f"{_text(name)} in a script on {family} keys" for name in failed]


def _client_refusals(client: redis.Redis, families: dict[str, str]) -> list[str]:
    dedupe, story, feed = families["dedupe"], families["story"], families["feed state"]
    checks: list[tuple[str, Callable[[], object]]] = [
        # on the key the dedupe probe set (with its 5 s expiry)
        ("SETRANGE on dedupe keys", lambda: client.setrange(dedupe + "acl-probe", 0, "1")),
        ("HSET on feed state keys", lambda: client.hset(feed + "acl-probe-h", "f", "1")),
        ("EXPIRE on feed state keys", lambda: client.expire(feed + "acl-probe-h", 5)),
        ("HGETALL on feed state keys", lambda: client.hgetall(feed + "acl-probe-h")),
        ("SET on feed state keys", lambda: client.set(feed + "acl-probe", "1", ex=5)),
        ("MGET on feed state keys", lambda: client.mget([feed + "acl-probe"])),
        ("HMGET on story keys", lambda: client.hmget(story + "acl-probe-h", ["f"])),
        ("SCAN", lambda: client.scan(0, match=story + "acl-probe*", count=10)),
        ("EVALSHA", lambda: client.evalsha("0" * 40, 0)),
    ]
    refused = []
    for what, run in checks:
        try:
            run()
        except NoScriptError:
            pass  # the probe's made-up script: EVALSHA itself was allowed
        except ResponseError as exc:
            refused.append(f"{what} ({exc})")
        except RedisError as exc:
            raise TransientError(f"redis ACL check failed: {exc}") from exc
    return refused


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
