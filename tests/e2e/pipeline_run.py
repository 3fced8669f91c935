"""What the end-to-end fault tests read of a running `newsflow run`: its stage processes
(from /proc), their resident memory, and the messages on a topic."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapters.kafka_client import read_topic
from tests.conftest import Namespace

PROC = Path("/proc")


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is `parent`, from /proc (field 4 of /proc/<pid>/stat)."""
    found = []
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def stage_of(command_line: list[str]) -> str | None:
    """The stage a process runs, from its arguments (`... run --stage extract`)."""
    if "--stage" not in command_line:
        return None
    at = command_line.index("--stage") + 1
    return command_line[at] if at < len(command_line) else None


def stage_pids(supervisor: int) -> dict[str, int]:
    """Stage name -> pid of each stage process the supervisor runs now."""
    found = {}
    for pid in child_pids(supervisor):
        try:
            raw = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended while we looked
        stage = stage_of(raw.decode("utf-8", "replace").split("\0"))
        if stage is not None:
            found[stage] = pid
    return found


def resident_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB (proc(5)), None when the process is gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def topic_messages(bootstrap: str, topic: str, idle_timeout_s: float = 3) -> list[dict[str, Any]]:
    """Every message on the topic so far, decoded, read without a consumer group."""
    return [
        json.loads(r.value)
        for r in read_topic(bootstrap, topic, from_beginning=True, idle_timeout_s=idle_timeout_s)
    ]


def pipeline_env(
    kafka: str, redis: str, ns: Namespace, feeds: Path, state: Path, **more: str
) -> dict[str, str]:
    """The environment of a `newsflow run` on the test's broker, Redis and feeds, in the
    test's own topics, groups and keys; `more`: further settings by name (poll_interval_s=)."""
    settings: Mapping[str, str] = {
        "kafka_bootstrap": kafka,
        "redis_url": redis,
        "topic_prefix": ns.topic_prefix,
        "group_prefix": ns.group_prefix,
        "redis_key_prefix": ns.redis_prefix,
        "feeds_file": str(feeds),
        "fetch_allow_networks": "127.0.0.1",
        "state_dir": str(state),
        "web_port": "0",  # no newsroom view unless a test asks for one
        **more,
    }
    return {**os.environ, **{f"NEWSFLOW_{name.upper()}": value for name, value in settings.items()}}
