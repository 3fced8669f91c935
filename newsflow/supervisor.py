"""`newsflow run`: every stage as its own child process, restarted if it dies.

Stages are processes, not threads: each has its own interpreter (the GIL is not shared),
and the same command with --stage runs one stage alone to scale it out on more hosts.
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

from workers.backoff import Backoff

logger = logging.getLogger(__name__)

STOP_GRACE_S = 10.0


INSTANCE_ENV = "NEWSFLOW_INSTANCE"


@dataclass
class Child:
    stage: str
    command: list[str]
    env: Mapping[str, str]
    proc: subprocess.Popen[bytes] | None = None
    backoff: Backoff = field(default_factory=lambda: Backoff(base_s=1.0, cap_s=30.0))
    restart_at: float = 0.0

    def start(self) -> None:
        # Own session: Ctrl-C reaches only the supervisor, which sends each stage one SIGTERM.
        self.proc = subprocess.Popen(
            self.command, env=dict(self.env), stdin=subprocess.DEVNULL, start_new_session=True
        )
        logger.info("stage started stage=%s pid=%d", self.stage, self.proc.pid)


def stage_command(stage: str, extra_args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "newsflow.cli", "run", "--stage", stage, *extra_args]


def install_stop_signals(stop: threading.Event) -> None:
    """First SIGINT/SIGTERM: stop gracefully. A second one: exit at once."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            logger.warning("second signal, exiting now signal=%d", signum)
            os._exit(128 + signum)
        logger.info("stopping signal=%d", signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


@dataclass
class Supervisor:
    children: list[Child]

    @classmethod
    def of(
        cls, stages: Sequence[str], env: Mapping[str, str], extra_args: Sequence[str] = ()
    ) -> Supervisor:
        """A child per stage named; a stage named twice runs two processes. Each child is
        numbered among its stage's (NEWSFLOW_INSTANCE): its Kafka transactional id stays the
        same when it is restarted, and differs from its siblings' and from those of another
        `newsflow run` on the same host (the supervisor's process id is in it, unless the
        instance is set)."""
        base = env.get(INSTANCE_ENV) or f"{platform.node()}-{os.getpid()}"
        children = []
        for at, stage in enumerate(stages):
            number = stages[:at].count(stage)
            own = {**env, INSTANCE_ENV: f"{base}-{number}"}
            children.append(Child(stage, stage_command(stage, extra_args), own))
        return cls(children)

    def run(self, stop: threading.Event) -> None:
        for child in self.children:
            child.start()
        while not stop.wait(0.5):
            for child in self.children:
                _restart_if_dead(child)
        _stop_children(self.children)

    def readiness(self) -> str | None:
        """None when every stage process runs, else which do not."""
        down = [c.stage for c in self.children if c.proc is None or c.proc.poll() is not None]
        return f"stages not running: {', '.join(down)}" if down else None


def _restart_if_dead(child: Child) -> None:
    assert child.proc is not None
    code = child.proc.poll()
    if code is None:
        return
    now = time.monotonic()
    if child.restart_at == 0.0:
        delay = child.backoff.next_delay_s()
        child.restart_at = now + delay
        logger.error("stage died stage=%s exit_code=%d restart_in_s=%.1f", child.stage, code, delay)
    elif now >= child.restart_at:
        child.restart_at = 0.0
        child.start()


def _stop_children(children: Sequence[Child]) -> None:
    """One SIGTERM each, then STOP_GRACE_S for all of them together. A stage aborts the
    transfers it has in flight and hands back the batch it was handling, so a stop takes
    seconds even inside a slow page; SIGKILL is for a stage that hangs."""
    running = [(c.stage, c.proc) for c in children if c.proc is not None and c.proc.poll() is None]
    for _, proc in running:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for stage, proc in running:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("stage did not stop in time, killing stage=%s pid=%d", stage, proc.pid)
            proc.kill()
            proc.wait()
