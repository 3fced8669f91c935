"""The one worker loop every stage runs: poll -> decode -> handle -> produce -> flush -> commit.

A stage handles a poll's batch of inputs at once (a BatchHandler): the dedupe stage sends
the whole batch's Redis lookups in one round trip; the others handle their inputs one at a
time (one_at_a_time). Either way each input has its own outcome: its outputs, or the error
that sends it alone to the dead-letter topic.

Offsets are committed only after the broker acknowledged every output of the inputs they
cover, in the same transaction as those outputs when delivery is exactly once. A poisoned
input goes to the dead-letter topic and the loop goes on; a transient failure (broker or
Redis unreachable) rewinds every uncommitted input, backs off and retries, committing
nothing meanwhile.

Flush and commit happen when a poll finds no more input (the stage has caught up: nothing
is gained by waiting), and while input keeps coming at most `commit_interval_s` apart, not
after every batch: an offset commit (with exactly-once delivery, a transaction's end) is a
write to the broker's logs, paid per commit and per partition, not per record (`make
bench-broker`), so a stage that is behind gathers many batches into one. A
crash or a rebalance hands what was not committed to be handled again: the transaction
is aborted (at least once, its outputs may come twice), and the verdicts are stable under
a replay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from schemas.contracts import ContractViolation
from schemas.limits import payload_bytes, too_large_reason
from schemas.records import InRecord, OutRecord, RefusedRecord
from workers.backoff import Backoff
from workers.codec import About, dead_letter, decode
from workers.errors import AccessRefused, Interrupted, PoisonMessage, TransientError
from workers.telemetry import (
    DEAD_LETTERS,
    STAGE_CPU_SECONDS,
    STAGE_HANDLE_SECONDS,
    STAGE_MESSAGES,
    STAGE_PAUSES,
)

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], InRecord], list[OutRecord]]
# An input's outputs, or why it has none: PoisonMessage, ContractViolation (our own output
# broke its contract) or any other exception (a bug, met on this input).
Outcome = list[OutRecord] | Exception
# Decoded inputs -> one outcome each, in order. A TransientError is raised, not returned:
# it stops the whole batch, which is then handled again.
BatchHandler = Callable[[Sequence[tuple[dict[str, Any], InRecord]]], list[Outcome]]


T = TypeVar("T")
R = TypeVar("R")


def attempt(work: Callable[..., T], *args: Any) -> T | Exception:
    """work(*args), or the exception it raised: one input's bug or poison is its own
    outcome, dead-lettered by the loop, not its batch's. A TransientError (the broker or
    Redis unreachable) or Interrupted (the stage stops) is raised: it stops the whole batch,
    which is handled again. So is AccessRefused (an ACL that denies a command): it stops
    the stage, the article is not to blame."""
    try:
        return work(*args)
    except (TransientError, Interrupted, AccessRefused):
        raise
    except Exception as exc:
        return exc


def each_alone_if_the_batch_fails(
    work: Callable[[Sequence[T]], Sequence[R]], items: Sequence[T], what: str
) -> list[R | Exception]:
    """work(items), one result per item; should that fail other than transiently (a bug met
    on one item), work([item]) for each in turn, so that the item alone fails, not its
    batch. Only for work that gives the same answer when done twice."""
    try:
        return list(work(items))
    except (TransientError, Interrupted, AccessRefused):
        raise
    except Exception:
        logger.warning("%s failed for the batch, one by one", what, exc_info=True)
        return [attempt(lambda one: work([one])[0], item) for item in items]


def one_at_a_time(handle: Handler) -> BatchHandler:
    """A BatchHandler that hands each input to `handle` in turn."""

    def handle_batch(inputs: Sequence[tuple[dict[str, Any], InRecord]]) -> list[Outcome]:
        return [attempt(handle, message, record) for message, record in inputs]

    return handle_batch


class Source(Protocol):
    def poll(self, timeout_s: float) -> list[InRecord]: ...
    def commit(self, batch: Sequence[InRecord]) -> None: ...
    def commit_idle(self) -> None: ...
    def rewind(self, batch: Sequence[InRecord]) -> None: ...
    def hand_back(self, batch: Sequence[InRecord]) -> None: ...


class Sink(Protocol):
    """Sends records; a record refused for good (too large, invalid) comes back as a value,
    from `send` or from `flush`, and a transient failure raises TransientError."""

    def send(self, record: OutRecord) -> RefusedRecord | None: ...
    def flush(self) -> list[RefusedRecord]: ...


@dataclass
class WorkerLoop:
    stage: str
    input_contract: str
    dead_letter_topic: str
    handle: BatchHandler
    source: Source
    sink: Sink
    stop: threading.Event = field(default_factory=threading.Event)
    backoff: Backoff = field(default_factory=Backoff)
    poll_timeout_s: float = 0.5
    # The longest a batch waits for its commit while input keeps coming: a stage that has
    # caught up (a poll finds nothing more) commits at once. 0: after every batch.
    commit_interval_s: float = 0.0
    # With nothing handled, the position still moves past each transaction marker upstream;
    # committing it only keeps a caught-up group's lag at 0, so it is not worth a
    # transaction of its own after every upstream one (it doubled the transactions at a
    # steady load): once this long without input, or with the next batch's commit.
    idle_commit_interval_s: float = 1.0
    handled: int = 0
    dead_lettered: int = 0
    # Handled and sent, not yet committed: with their outcomes, counted once committed.
    _uncommitted: list[InRecord] = field(default_factory=list)
    _outcomes: list[str | None] = field(default_factory=list)
    # Each output sent and not yet committed -> the position of its input in _uncommitted:
    # an output the broker refuses for good dead-letters its input.
    _sent_from: dict[int, tuple[OutRecord, int]] = field(default_factory=dict)
    _last_commit: float = field(default_factory=time.monotonic)

    def run(self) -> None:
        logger.info("worker started stage=%s", self.stage)
        while not self.stop.is_set():
            self.step()
        self.step(commit_now=True)  # what was handled before the stop signal
        logger.info(
            "worker stopped stage=%s handled=%d dead_lettered=%d",
            self.stage,
            self.handled,
            self.dead_lettered,
        )

    def step(self, *, commit_now: bool = False) -> int:
        """One batch handled and sent, then everything uncommitted flushed and committed when
        the poll found nothing more or the interval is up; on a transient failure, rewound.
        Returns how many inputs were committed. `commit_now`: no poll, only the flush and
        commit."""
        try:
            caught_up = False
            if not commit_now:
                caught_up = self._handle_batch() == 0
            since = time.monotonic() - self._last_commit
            # Caught up, nothing is gained by waiting: the next input may be seconds away.
            # (A poll without a wait hands out what the consumer has already fetched: behind,
            # at worst one commit per fetch, and the interval when fetches keep up.)
            # Behind, the interval gathers many batches in one commit (a transaction costs
            # the broker per partition it touched, not per record: `make bench-broker`).
            due = caught_up or commit_now or since >= self.commit_interval_s
            if self._uncommitted and due:
                return self._commit()
            idle_due = since >= max(self.commit_interval_s, self.idle_commit_interval_s)
            if not self._uncommitted and (idle_due or commit_now):
                with self._cpu("kafka"):
                    self.source.commit_idle()
                self._last_commit = time.monotonic()
            return 0
        except TransientError as exc:
            STAGE_PAUSES.labels(self.stage).inc()
            delay = self.backoff.next_delay_s()
            logger.warning("stage paused stage=%s error=%s retry_in_s=%.1f", self.stage, exc, delay)
            if self._uncommitted:
                self.source.rewind(self._uncommitted)
            self._uncommitted, self._outcomes, self._sent_from = [], [], {}
            self.stop.wait(delay)
            return 0

    def _handle_batch(self) -> int:
        """Poll a batch, handle it and send its outputs; how many inputs it had. With work to
        commit, the poll only takes what has arrived (with transactions, nothing sent is read
        downstream before it is committed): an empty one means the stage has caught up."""
        timeout = 0.0 if self._uncommitted else self.poll_timeout_s
        with self._cpu("kafka"):
            batch = self.source.poll(timeout)
        self._uncommitted += batch  # rewound with the rest if anything below fails
        try:
            with self._cpu("handle"):
                outcomes = self._outcomes_of(batch)
        except Interrupted:
            # Nothing of this batch was sent: it alone goes back (what was sent before it
            # stays in the open transaction), while what was handled before it is still
            # committed by the last step after the stop.
            del self._uncommitted[len(self._uncommitted) - len(batch) :]
            self.source.hand_back(batch)
            logger.info("batch handed back on stop stage=%s inputs=%d", self.stage, len(batch))
            return len(batch)
        with self._cpu("kafka"):
            for record, (outputs, error_type) in zip(batch, outcomes, strict=True):
                position = len(self._outcomes)
                self._outcomes.append(error_type)
                if error_type is None:
                    self._send_outputs(record, position, outputs)
                else:
                    self._send_dead_letter(outputs[0])
        return len(batch)

    def _send_outputs(self, record: InRecord, position: int, outputs: list[OutRecord]) -> None:
        for out in outputs:
            refused = self.sink.send(out)
            if refused is not None:
                self._dead_letter_input(position, refused)
                return
            self._sent_from[id(out)] = (out, position)

    def _send_dead_letter(self, dead_letter: OutRecord) -> None:
        refused = self.sink.send(dead_letter)
        if refused is not None:
            # Kept small (codec.dead_letter), a dead letter is refused only when the broker
            # is set up wrong (ACLs, a topic's limit): nothing the input can be blamed for.
            raise TransientError(f"the dead-letter topic refused a record: {refused.reason}")

    def _dead_letter_input(self, position: int, refused: RefusedRecord) -> None:
        """The input at `position` dead-lettered, as its output was refused for good (once,
        however many of its outputs were)."""
        if self._outcomes[position] is not None:
            return
        poison = PoisonMessage(refused.reason, error_type=refused.error_type)
        self._outcomes[position] = poison.error_type
        size = payload_bytes(refused.record)
        self._send_dead_letter(self._dead_letter(self._uncommitted[position], poison, size=size))

    def _flush(self) -> None:
        """Flush until every output is acknowledged, the inputs of refused ones dead-lettered
        (and those dead letters flushed too)."""
        refused = self.sink.flush()
        while refused:
            for one in refused:
                origin = self._sent_from.get(id(one.record))
                if origin is None or origin[0] is not one.record:
                    raise TransientError(f"the dead-letter topic refused a record: {one.reason}")
                self._dead_letter_input(origin[1], one)
            refused = self.sink.flush()

    def _commit(self) -> int:
        with self._cpu("kafka"):
            self._flush()
            self.source.commit(self._uncommitted)
        committed, self._uncommitted, self._sent_from = len(self._uncommitted), [], {}
        self._count(self._outcomes)
        self._outcomes, self._last_commit = [], time.monotonic()
        self.backoff.reset()
        self.handled += committed
        return committed

    @contextmanager
    def _cpu(self, part: str) -> Iterator[None]:
        """This thread's CPU time in `part` (thread time: waiting for the broker is free)."""
        started = time.thread_time()
        try:
            yield
        finally:
            STAGE_CPU_SECONDS.labels(self.stage, part).inc(time.thread_time() - started)

    def _count(self, outcomes: Sequence[str | None]) -> None:
        """Counted once the batch is committed, so a retried batch is not counted twice."""
        errors = [error_type for error_type in outcomes if error_type is not None]
        ok = len(outcomes) - len(errors)
        if ok:  # one increment for the batch: a labelled child is looked up under a lock
            STAGE_MESSAGES.labels(self.stage, "ok").inc(ok)
        for error_type in errors:
            STAGE_MESSAGES.labels(self.stage, "dead_letter").inc()
            self.dead_lettered += 1
            DEAD_LETTERS.labels(self.stage, error_type).inc()

    def _outcomes_of(self, batch: Sequence[InRecord]) -> list[tuple[list[OutRecord], str | None]]:
        """The outputs of each input, and the dead-letter reason of each that was poison."""
        if not batch:
            return []
        started = time.perf_counter()
        outcomes: dict[int, Outcome] = {}
        decoded: list[tuple[int, dict[str, Any]]] = []
        for i, record in enumerate(batch):
            try:
                decoded.append((i, decode(record, self.input_contract)))
            except PoisonMessage as exc:
                outcomes[i] = exc
        handled = self.handle([(message, batch[i]) for i, message in decoded])
        outcomes.update(zip((i for i, _ in decoded), handled, strict=True))
        # A batch handler does not time its inputs one by one: each gets the batch's mean.
        mean_s = (time.perf_counter() - started) / len(batch)
        handle_seconds = STAGE_HANDLE_SECONDS.labels(self.stage)
        for _ in batch:
            handle_seconds.observe(mean_s)
        messages = dict(decoded)
        return [
            self._settled(record, outcomes[i], messages.get(i)) for i, record in enumerate(batch)
        ]

    def _settled(
        self, record: InRecord, outcome: Outcome, message: dict[str, Any] | None = None
    ) -> tuple[list[OutRecord], str | None]:
        if isinstance(outcome, list):
            for out in outcome:
                # Size is the input's own property: no retry makes its output smaller.
                if (too_large := too_large_reason(out)) is not None:
                    poison = PoisonMessage(too_large, error_type="too_large")
                    dead = self._dead_letter(record, poison, message, payload_bytes(out))
                    return [dead], poison.error_type
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "handled stage=%s input=%s key=%s outputs=%d",
                    self.stage,
                    record.where,
                    record.key,
                    len(outcome),
                )
            return outcome, None
        if isinstance(outcome, PoisonMessage):
            return [self._dead_letter(record, outcome, message)], outcome.error_type
        if isinstance(outcome, ContractViolation):
            # Our own output broke its contract: a bug, but the input must not be lost.
            poison = PoisonMessage(str(outcome), error_type="invalid_output")
            return [self._dead_letter(record, poison, message)], poison.error_type
        # A bug in a handler, on this input: logged with its traceback here, once, and the
        # input kept on the dead-letter topic, so one bad article cannot stall a partition in
        # a crash-restart loop.
        logger.error("handler failed stage=%s input=%s", self.stage, record.where, exc_info=outcome)
        poison = PoisonMessage(f"{type(outcome).__name__}: {outcome}", error_type="handler_error")
        return [self._dead_letter(record, poison, message)], poison.error_type

    def _dead_letter(
        self,
        record: InRecord,
        exc: PoisonMessage,
        message: dict[str, Any] | None = None,
        size: int | None = None,
    ) -> OutRecord:
        logger.warning(
            "dead-lettered stage=%s input=%s error_type=%s error=%s",
            self.stage,
            record.where,
            exc.error_type,
            exc.reason,
        )
        about = About.of(message, size)
        return dead_letter(record, self.stage, exc, self.dead_letter_topic, about)
