"""`make run` as a newcomer runs it: `newsflow run --demo` starts its own Kafka, Redis and
demo server, processes the bundled feeds, and Ctrl-C leaves nothing running or listening."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services.process import port_is_open


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return str(response.read().decode())


pytestmark = pytest.mark.e2e


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(*names: str) -> dict[str, int]:
    """Free ports by name, below Linux's ephemeral range (32768 and up by default): a port
    the kernel hands out for outgoing connections can be taken, between the choice and the
    server's bind, by any client on the machine (the broker's controller port, the one after
    "kafka", once was). Each is an even port whose next one is free too: the broker's
    controller listens on the port after "kafka"."""
    chosen: dict[str, int] = {}
    candidates = random.sample(range(20000, 32000, 2), 200)
    for name, port in zip(
        ("kafka", *names),
        (p for p in candidates if _bindable(p) and _bindable(p + 1)),
        strict=False,
    ):
        chosen[name] = port
    assert len(chosen) == len(names) + 1, "no free ports below the ephemeral range"
    return chosen


def test_demo_run_processes_the_bundled_feeds_and_stops_cleanly(tmp_path: Path) -> None:
    ports = _ports("redis", "demo", "metrics", "web")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")},
        "NEWSFLOW_STATE_DIR": str(tmp_path / "state"),
        "NEWSFLOW_LOCAL_KAFKA_PORT": str(ports["kafka"]),
        "NEWSFLOW_LOCAL_REDIS_PORT": str(ports["redis"]),
        "NEWSFLOW_DEMO_PORT": str(ports["demo"]),
        "NEWSFLOW_METRICS_PORT": str(ports["metrics"]),
        "NEWSFLOW_WEB_PORT": str(ports["web"]),
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "newsflow", "run", "--demo"], env=env, cwd=tmp_path
    )
    watch = [sys.executable, "-m", "newsflow", "watch", "--from-beginning", "--idle-exit-s", "3"]
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(lines) < 8:
            time.sleep(2)
            if not (tmp_path / "state" / "services.json").exists():
                continue
            shown = subprocess.run(
                [*watch, "--json"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
            lines = shown.stdout.splitlines()
        status = subprocess.run(
            [sys.executable, "-m", "newsflow", "status"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        ).stdout
        metrics = _get(ports["metrics"], "/metrics")
        view = _get(ports["web"], "/")
        ready = _get(ports["metrics"], "/readyz")
    finally:
        run.send_signal(signal.SIGINT)
        exit_code = run.wait(60)

    # What status and /metrics report matches what went through.
    assert "8 processed" in status and "exact_duplicate 1, original 7" in status
    assert (
        "Coastal Wire" in status and status.count("not_modified") + status.count("new_entries") >= 4
    )
    assert 'newsflow_dedupe_verdicts_total{relation="original"} 7.0' in metrics
    assert 'newsflow_dedupe_verdicts_total{relation="exact_duplicate"} 1.0' in metrics
    assert 'newsflow_stage_messages_total{outcome="ok",stage="tag"} 8.0' in metrics
    assert "newsflow_end_to_end_seconds_count 8.0" in metrics
    assert 'newsflow_internal_duplication_total{pattern="whole_body_repeat"} 1.0' in metrics
    assert 'newsflow_consumer_lag{group="newsflow-tag-v1"' in metrics
    assert ready == "ready\n"
    assert view.count('<article class="story"') == 7  # the copy folded under its original

    messages = [json.loads(line) for line in lines]
    assert len(messages) == 8, f"expected the 8 demo stories, got {len(messages)}"
    relations = sorted(m["dedupe"]["relation"] for m in messages)
    assert relations == ["exact_duplicate"] + ["original"] * 7
    assert {m["tags"]["language"] for m in messages} == {"en", "fr", "ar"}
    doubled = [m for m in messages if m["internal_duplication"]["detected"]]
    assert [m["outlet"] for m in doubled] == ["صحيفة المرسى"]
    assert len(doubled[0]["paragraphs"]) == 5  # the desalination story, repaired
    assert exit_code == 0
    for name, port in ports.items():
        assert not port_is_open(port), f"{name} still listening on {port} after Ctrl-C"
    # The data survives the run: Redis appended its claims, Kafka kept its log.
    assert any((tmp_path / "state" / "redis").rglob("*.aof*"))
    assert (tmp_path / "state" / "kafka" / "log" / "meta.properties").exists()
