"""The project's exception hierarchy. Expected outcomes are values; these are for the rest.

PipelineError
├── TransientError     a server is unreachable or timed out: pause, rewind, retry later
└── PoisonMessage      this one input can never be handled: dead-letter it and go on
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


class ConfigFileError(ValueError):
    """Every problem found in an operator's file, reported at once, with the file's name."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.problems = problems
