"""The project's exception hierarchy. Expected outcomes are values; these are for the rest.

PipelineError
├── TransientError     a server is unreachable or timed out: pause, rewind, retry later
├── PoisonMessage      this one input can never be handled: dead-letter it and go on
├── Interrupted        the stage was told to stop mid-batch: hand the batch back untouched
└── AccessRefused      a server refused our login, certificate or a command: fix a setting
ConfigFileError        an operator's file (feeds, tag rules) is wrong: every problem at once
"""

from __future__ import annotations

from pathlib import Path


class PipelineError(Exception):
    """Root of every error the pipeline raises on purpose."""


class TransientError(PipelineError):
    """Retrying later can succeed (Kafka or Redis unreachable, a timeout)."""


class PoisonMessage(PipelineError):
    """The input itself is bad (undecodable, wrong schema, an article that cannot be extracted)."""

    def __init__(self, reason: str, *, error_type: str = "invalid_message") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_type = error_type


class Interrupted(PipelineError):
    """The stage was told to stop while it handled a batch (a slow page in transfer): the
    batch is handed back whole, neither sent nor committed, and handled after the restart,
    so that a stop takes seconds and changes no output."""


class AccessRefused(PipelineError):
    """A server refused a password, a certificate or (an ACL) a command. No retry mends it:
    the process stops and says which setting an operator has to change."""


class ConfigFileError(ValueError):
    """Every problem found in an operator's file, reported at once, with the file's name."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.problems = problems
