"""Everything that talks to Kafka: readiness, topics, and the source/sink of the worker loop.

kafka-python 3 facts relied on here: idempotent producer with acks=all by default; classic
consumer groups; a failed bootstrap raises KafkaTimeoutError; transactions (KIP-98) with
the input offsets sent into the transaction under the consumer's group metadata (KIP-447,
`send_offsets_to_transaction`), checked against the real broker by
tests/integration/test_kafka_transactions.py.

Exactly once: a stage's producer is transactional, its id stable for the process (stage and
instance), so that a restarted process fences its predecessor and aborts the transaction it
left open at once, rather than after the transaction timeout during which read_committed
consumers could read nothing past it. Outputs and input offsets are committed together; on
any failure the transaction is aborted and the batch handled again (the Redis side gives the
same verdicts when replayed).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic, OffsetSpec, OffsetTimestamp
from kafka.errors import (
    IllegalStateError,
    InvalidProducerEpochError,
    KafkaError,
    NoError,
    ProducerFencedError,
    TopicAlreadyExistsError,
)
from kafka.protocol.consumer.offsets import IsolationLevel
from kafka.structs import OffsetAndMetadata

from adapters.connections import (
    KafkaAddress,
    KafkaConnection,
    check_tls,
    kafka_connection,
    kafka_options,
)
from adapters.error_classes import kafka_access_refused, kafka_error_class
from schemas.limits import MAX_RECORD_BYTES, payload_bytes
from schemas.records import InRecord, OutRecord, RefusedRecord
from workers.errors import AccessRefused, PipelineError, TransientError

logger = logging.getLogger(__name__)


def wait_for_kafka(
    bootstrap: KafkaAddress, timeout_s: float = 90.0, is_alive: Callable[[], bool] | None = None
) -> None:
    """Block until the broker answers a metadata round trip with an unfenced broker.

    An open port is not enough: the socket accepts before the broker serves requests. A
    cluster that refuses our certificate checks or our login raises AccessRefused at once,
    naming the setting to fix: waiting would only hide it behind a timeout.
    """
    kafka = kafka_connection(bootstrap)
    check_kafka_tls(kafka)
    deadline, last, closed_on_login = time.monotonic() + timeout_s, None, 0
    while time.monotonic() < deadline:
        if is_alive is not None and not is_alive():
            raise TransientError(f"kafka at {kafka} exited while starting")
        with _client_logs_held() as said:
            last = _cluster_ready(kafka)
        if last is None:
            return
        closed_on_login = judge_login(kafka, said, closed_on_login)
        time.sleep(0.3)
    raise TransientError(f"kafka not ready at {kafka} after {timeout_s:.0f}s: {last!r}")


def check_kafka_login(bootstrap: KafkaAddress) -> None:
    """For a cluster with TLS or SASL, a few seconds' attempt that raises AccessRefused when
    it refuses our certificate checks or our login (a command's first step: its own client
    would retry until a timeout). A cluster not reachable now is left to the command."""
    kafka = kafka_connection(bootstrap)
    check_kafka_tls(kafka)
    if not kafka.uses_sasl:
        return
    closed_on_login = 0
    for _ in range(LOGIN_ATTEMPTS):
        with _client_logs_held() as said:
            if _cluster_ready(kafka) is None:
                return
        closed_on_login = judge_login(kafka, said, closed_on_login)


def check_kafka_tls(kafka: KafkaConnection) -> None:
    """The TLS handshake done once by hand: kafka-python would retry an untrusted certificate
    until its bootstrap timeout and say only that it could not connect."""
    if kafka.uses_tls:
        host, port = kafka.first_server()
        check_tls("kafka", kafka, host, port, timeout_s=10.0, hello=API_VERSIONS_REQUEST)


# An ApiVersions request, version 0 (correlation id 1, no client id), as the Kafka protocol
# frames it: a broker takes it before any login (KIP-43, KIP-35). A broker that requires
# client certificates finishes its TLS 1.3 handshake only when the client speaks; until
# then kafka-python would wait on the connection past its own timeouts.
API_VERSIONS_REQUEST = bytes.fromhex("0000000a0012000000000001ffff")


# What kafka-python logs when a broker refuses the login (it then retries until its
# bootstrap timeout, which is all its exception says).
_SASL_REFUSALS = ("SaslAuthenticationFailed", "Authentication failed", "IllegalSaslState")
_MECHANISM_REFUSALS = ("UnsupportedSaslMechanism", "does not support")
# The broker answers a refused login and closes the connection; kafka-python 3.0 may read
# the close before the answer (its transport returns a read's error before its data) and
# log only "socket disconnected". Connections that all end so, on a port whose TLS
# handshake succeeded, in this many attempts running, are a refused login too.
LOGIN_ATTEMPTS = 3
_CLOSED = "socket disconnected"


def judge_login(kafka: KafkaConnection, said: list[str], closed_before: int) -> int:
    """AccessRefused when what kafka-python logged of one failed attempt is a refused login;
    else how many attempts running ended only in connections the broker closed."""
    if not kafka.uses_sasl:
        return 0
    if found := [line for line in said if any(m in line for m in _MECHANISM_REFUSALS)]:
        raise AccessRefused(
            f"kafka at {kafka} does not accept SASL mechanism {kafka.sasl_mechanism}: check "
            f"kafka_sasl_mechanism ({found[-1]})"
        )
    login = (
        f"check kafka_sasl_username and kafka_sasl_password (or kafka_sasl_password_file) "
        f"of user {kafka.sasl_username!r} ({kafka.sasl_mechanism})"
    )
    if found := [line for line in said if any(m in line for m in _SASL_REFUSALS)]:
        raise AccessRefused(f"kafka at {kafka} refused the login: {login} ({found[-1]})")
    closed_only = any(_CLOSED in line for line in said) and not any(
        "refused" in line.lower() for line in said
    )
    if not closed_only:
        return 0
    if closed_before + 1 >= LOGIN_ATTEMPTS:
        raise AccessRefused(
            f"kafka at {kafka} closed every connection during the SASL login: {login}, and "
            "that kafka_security_protocol is the listener's"
        )
    return closed_before + 1


class _Held(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextlib.contextmanager
def _client_logs_held() -> Iterator[list[str]]:
    """While a broker starts, every refused connection is logged at ERROR by kafka-python:
    expected noise here, so it is held back, and read for a refused login."""
    client_logger = logging.getLogger("kafka")
    held = _Held()
    level, propagate = client_logger.level, client_logger.propagate
    client_logger.setLevel(logging.WARNING)
    client_logger.propagate = False
    client_logger.addHandler(held)
    try:
        yield held.lines
    finally:
        client_logger.removeHandler(held)
        client_logger.setLevel(level)
        client_logger.propagate = propagate


def _cluster_ready(bootstrap: KafkaAddress) -> Exception | str | None:
    """None when an unfenced broker answered, else what went wrong."""
    try:
        with KafkaAdminClient(
            **kafka_options(bootstrap), bootstrap_timeout_ms=3000, request_timeout_ms=5000
        ) as admin:
            info = admin.describe_cluster()
    except (OSError, KafkaError) as exc:
        return exc
    if any(not b.get("is_fenced", False) for b in info["brokers"]):
        return None
    return "every broker is fenced"


def ensure_topics(bootstrap: KafkaAddress, names: Iterable[str], partitions: int) -> None:
    """Create the topics that do not exist yet (a topic that exists is left as it is)."""
    with KafkaAdminClient(**kafka_options(bootstrap), request_timeout_ms=30000) as admin:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs={"max.message.bytes": str(MAX_RECORD_BYTES)},
            )
            for name in names
            if name not in existing
        ]
        if not missing:
            return
        # Another process may create one between our list and our create.
        try:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(missing, wait_for_metadata=True)
        except KafkaError as exc:
            if refusal := kafka_access_refused(exc):
                raise refusal from exc
            raise
        logger.info("topics created names=%s", ",".join(t.name for t in missing))


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None  # None: the group never committed here
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


def consumer_lag(bootstrap: KafkaAddress, group: str, topics: Sequence[str]) -> list[PartitionLag]:
    """Committed offset and end offset (read_committed) of every partition of `topics`."""
    try:
        return _consumer_lag(bootstrap, group, topics)
    except KafkaError as exc:
        raise TransientError(f"cannot read consumer lag from kafka at {bootstrap}: {exc}") from exc


def _consumer_lag(bootstrap: KafkaAddress, group: str, topics: Sequence[str]) -> list[PartitionLag]:
    with KafkaAdminClient(**kafka_options(bootstrap), request_timeout_ms=10000) as admin:
        metadata = admin.describe_topics(list(topics))
        partitions = [
            TopicPartition(t["name"], p["partition_index"])
            for t in metadata
            if not t.get("error_code")
            for p in t["partitions"]
        ]
        ends = admin.list_partition_offsets(
            dict.fromkeys(partitions, OffsetSpec.LATEST),
            isolation_level=IsolationLevel.READ_COMMITTED,
        )
        committed = admin.list_group_offsets(group)[group]
    lags = [
        PartitionLag(
            tp.topic,
            tp.partition,
            committed[tp].offset if tp in committed else None,
            ends[tp].offset,
        )
        for tp in partitions
    ]
    return sorted(lags, key=lambda lag: (lag.topic, lag.partition))


def group_assignment(bootstrap: KafkaAddress, group: str) -> dict[str, list[tuple[str, int]]]:
    """Member id -> the (topic, partition)s it is assigned, as the group coordinator says."""
    try:
        with KafkaAdminClient(**kafka_options(bootstrap)) as admin:
            described = admin.describe_groups([group])[group]
    except KafkaError as exc:  # e.g. no coordinator yet for a group that never joined
        raise TransientError(f"cannot describe group {group}: {exc}") from exc
    return {member["member_id"]: _assigned(member) for member in described["members"]}


def _assigned(member: dict[str, Any]) -> list[tuple[str, int]]:
    assignment = member.get("member_assignment")
    if not isinstance(assignment, dict):
        return []  # empty while the group rebalances
    return [
        (assigned["topic"], partition)
        for assigned in assignment["assigned_partitions"]
        for partition in assigned["partitions"]
    ]


def rewind_group(bootstrap: KafkaAddress, group: str, topic: str, since_ms: int) -> dict[int, int]:
    """Move a stopped group's committed offsets on `topic` back to the first record at or
    after `since_ms` (the end, where nothing is that recent). Partition -> new offset."""
    if group_assignment(bootstrap, group):
        raise PipelineError(
            f"group {group} has running members: stop that stage first, then replay"
        )
    try:
        with KafkaAdminClient(**kafka_options(bootstrap)) as admin:
            metadata = admin.describe_topics([topic])
            partitions = [
                TopicPartition(topic, p["partition_index"]) for p in metadata[0]["partitions"]
            ]
            # OffsetTimestamp: a bare int would be taken as an offset, not a time.
            result = admin.reset_group_offsets(
                group, dict.fromkeys(partitions, OffsetTimestamp(since_ms))
            )
    except KafkaError as exc:
        raise TransientError(f"cannot move the offsets of {group}: {exc}") from exc
    failed = {
        tp.partition: r["error"]
        for tp, r in result.items()
        if r.get("error") not in (None, NoError)
    }
    if failed:
        raise PipelineError(f"offsets of {group} not moved on partitions {failed}")
    return {tp.partition: int(r["offset"]) for tp, r in result.items()}


def committed_offsets(bootstrap: KafkaAddress, group: str) -> dict[tuple[str, int], int]:
    """The group's committed offset per (topic, partition)."""
    with KafkaAdminClient(**kafka_options(bootstrap)) as admin:
        offsets = admin.list_group_offsets(group)[group]
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}


@dataclass
class KafkaSource:
    """Consumer side of the worker loop: polls records and commits only what was handled."""

    consumer: KafkaConsumer
    # Exactly once: the offsets are committed inside this sink's transaction, with what it
    # sent for them; a rewind aborts it. None: committed by the consumer (at least once).
    transaction: KafkaSink | None = None
    _committed: dict[TopicPartition, int] = field(default_factory=dict)  # by this process
    _handed_out: dict[TopicPartition, int] = field(default_factory=dict)  # past the last polled
    _asked: set[TopicPartition] = field(default_factory=set)  # committed offset asked once

    @classmethod
    def connect(
        cls,
        bootstrap: KafkaAddress,
        group: str,
        topics: Sequence[str],
        transaction: KafkaSink | None = None,
    ) -> KafkaSource:
        consumer = KafkaConsumer(
            *topics,
            **kafka_options(bootstrap),
            group_id=group,
            enable_auto_commit=False,  # commit after the outputs are acknowledged
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=200,
        )
        return cls(consumer, transaction)

    def poll(self, timeout_s: float) -> list[InRecord]:
        try:
            batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000))
        except KafkaError as exc:
            if refusal := kafka_access_refused(exc):
                raise refusal from exc
            raise TransientError(f"kafka poll failed: {exc!r}") from exc
        records = [_in_record(msg) for msgs in batches.values() for msg in msgs]
        for rec in records:
            tp = TopicPartition(rec.topic, rec.partition)
            self._handed_out[tp] = max(self._handed_out.get(tp, 0), rec.offset + 1)
        return records

    def commit(self, batch: Sequence[InRecord]) -> None:
        """Commit the offset after the last record of each partition in the batch, or the
        consumer's position when it is further: past the marker that ends a transaction,
        which takes an offset of its own and is never handed out as a record (committing
        the record's offset + 1 would leave a caught-up group one behind for good)."""
        ends: dict[TopicPartition, int] = {}
        for rec in batch:
            tp = TopicPartition(rec.topic, rec.partition)
            ends[tp] = max(ends.get(tp, 0), rec.offset + 1)
        self._commit_offsets({tp: self._past_markers(tp, end) for tp, end in ends.items()})

    def commit_idle(self) -> None:
        """With nothing handled since the last commit: commit the positions that moved past
        it all the same (over a transaction's end marker), so that a caught-up group shows
        no lag. Everything before the position was handled: the loop polls and handles in
        one step, and commits before it calls this."""
        self._learn_committed()
        moved = {}
        for tp, committed in self._committed.items():
            if (position := self._past_markers(tp, committed)) > committed:
                moved[tp] = position
        if moved:
            self._commit_offsets(moved)

    def _learn_committed(self) -> None:
        """The group's committed offset of each partition assigned to this process and not
        yet committed by it (after a start or a rebalance): once, so that a marker left
        past it is committed over too."""
        for tp in self.consumer.assignment():
            if tp in self._committed or tp in self._asked:
                continue
            try:
                committed = self.consumer.committed(tp)
            except KafkaError:
                continue
            self._asked.add(tp)  # never committed (None): not asked again every interval
            if committed is not None:
                self._committed[tp] = committed

    def _past_markers(self, tp: TopicPartition, end: int) -> int:
        """`end`, or the consumer's position when no record past `end` was handed out:
        what lies between is transaction markers only."""
        if self._handed_out.get(tp, 0) > end:
            return end
        position = self._position(tp)
        return max(end, position) if position is not None else end

    def _position(self, tp: TopicPartition) -> int | None:
        if tp not in self.consumer.assignment():
            return None
        try:
            position: int | None = self.consumer.position(tp, timeout_ms=1000)
        except KafkaError:
            return None
        return position

    def _commit_offsets(self, ends: dict[TopicPartition, int]) -> None:
        offsets = {tp: OffsetAndMetadata(end, "", -1) for tp, end in ends.items()}
        if self.transaction is not None:
            if lost := set(offsets) - set(self.consumer.assignment()):
                # A rebalance moved a partition away mid-transaction: its outputs must not
                # be committed beside the new owner's. All of it is handled again.
                self.transaction.abort()
                raise TransientError(f"partitions moved to another member: {sorted(lost)}")
            self.transaction.commit(offsets, self.consumer.group_metadata())
        else:
            try:
                self.consumer.commit(offsets)
            except KafkaError as exc:
                raise TransientError(f"kafka commit failed: {exc!r}") from exc
        self._committed.update(ends)

    def rewind(self, batch: Sequence[InRecord]) -> None:
        """Go back to the first record of the batch on each partition, so it is polled again,
        and drop the open transaction: the loop rewinds everything it has not committed."""
        if self.transaction is not None:
            self.transaction.abort()
        self.hand_back(batch)

    def hand_back(self, batch: Sequence[InRecord]) -> None:
        """Go back to the first record of a batch of which nothing was sent, so it is polled
        again; the open transaction, with what earlier batches sent, stays."""
        first: dict[TopicPartition, int] = {}
        for rec in batch:
            tp = TopicPartition(rec.topic, rec.partition)
            first[tp] = min(first.get(tp, rec.offset), rec.offset)
        for tp, offset in first.items():
            self._handed_out[tp] = min(self._handed_out.get(tp, offset), offset)
            if tp in self.consumer.assignment():
                self.consumer.seek(tp, offset)

    def close(self) -> None:
        self.consumer.close(autocommit=False)


def _in_record(msg: Any) -> InRecord:
    return InRecord(
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        key=msg.key,
        value=msg.value or b"",  # a tombstone (None) decodes as poison, not a crash
        timestamp_ms=msg.timestamp,
        headers=tuple((k, v or b"") for k, v in (msg.headers or [])),
    )


def _stage_producer(bootstrap: KafkaAddress, transactional_id: str | None = None) -> KafkaProducer:
    """The stages' producer; with a transactional id, ready for transactions (its
    predecessor with the same id fenced, the transaction it left open aborted)."""
    producer = KafkaProducer(
        **kafka_options(bootstrap),
        transactional_id=transactional_id,
        # A transaction left open by a process that died, and not aborted by a successor
        # with its id, holds read_committed consumers back until the broker aborts it.
        transaction_timeout_ms=30_000,
        acks="all",
        linger_ms=5,
        # Up to 512 KB per partition in one batch, not kafka-python's 16 KB, which holds
        # one 10 KB article: the broker's cost is per batch (`make bench-broker`).
        batch_size=512 * 1024,
        # An article carries its text about three times; zstd packs a batch of them several
        # times smaller for little CPU (`make bench-compression` compares the codecs).
        compression_type="zstd",
        max_request_size=MAX_RECORD_BYTES,
    )
    if transactional_id is not None:
        try:
            producer.init_transactions()
        except KafkaError:
            producer.close(timeout=1)
            raise
    return producer


# What kafka-python raises at send when the transaction, not the record, is at fault (a
# failure earlier in it, or a state that allows no send): never a refusal of the record.
_TRANSACTION_STATE_ERRORS = (KafkaError, IllegalStateError)


# Records the broker refused inside a doomed transaction, remembered at most this many.
MAX_REMEMBERED_REFUSALS = 1000


def _identity(record: OutRecord) -> tuple[str, str]:
    """A record as it comes again when its batch is handled again: its topic and key (its
    value may differ: stages stamp the time they handled it)."""
    return record.topic, record.key


@dataclass
class KafkaSink:
    """Producer side of the worker loop: send JSON records, then flush before any commit.

    A record the producer or the broker refuses for good comes back as a RefusedRecord (from
    `send` at once, or from `flush` once the broker answered), never as a transient error: a
    retry would meet the same refusal, forever. Only transient failures raise.
    One sender at a time: `flush` judges every record sent since the last one.

    Transactional (a transactional id given): the first send opens a transaction, which
    `commit` closes with the input offsets (or `abort` drops). A record refused inside a
    transaction dooms it: the transaction is aborted, the refusal remembered, and flush
    raises TransientError, so the batch is handled again and the record refused at `send`
    this time (its input dead-lettered, the rest sent again in a new transaction)."""

    producer: KafkaProducer
    # Makes a new producer like this one: kafka-python's idempotent producer stops for good
    # at the first refusal from the broker, failing every batch it holds with that error.
    reopen: Callable[[], KafkaProducer] | None = None
    transactional: bool = False
    _in_flight: list[tuple[OutRecord, Any]] = field(default_factory=list)
    _in_transaction: bool = False
    _refused_before: dict[tuple[str, str], RefusedRecord] = field(default_factory=dict)

    @classmethod
    def connect(cls, bootstrap: KafkaAddress, transactional_id: str | None = None) -> KafkaSink:
        make = functools.partial(_stage_producer, bootstrap, transactional_id)
        try:
            producer = make()
        except KafkaError as exc:
            if refusal := kafka_access_refused(exc):
                raise refusal from exc
            raise TransientError(f"kafka transactions not ready: {exc!r}") from exc
        return cls(producer, make, transactional=transactional_id is not None)

    def prefetch_metadata(self, topics: Sequence[str]) -> None:
        """Fetch the topics' metadata now: otherwise the first send to each waits for it."""
        try:
            for topic in topics:
                self.producer.partitions_for(topic)
        except KafkaError as exc:
            raise TransientError(f"kafka metadata of {', '.join(topics)}: {exc!r}") from exc

    def send(self, record: OutRecord) -> RefusedRecord | None:
        """None once the record is on its way; a RefusedRecord when the producer refuses it."""
        if (known := self._refused_before.pop(_identity(record), None)) is not None:
            return RefusedRecord(record, known.error_type, known.reason)
        if self.transactional and not self._in_transaction:
            self._begin()
        try:
            future = self._produce(record)
        except KafkaError as exc:
            if self.transactional and type(exc) in _TRANSACTION_STATE_ERRORS:
                self._doom(self._settled(), exc)
            refused = _refused(record, exc)
            if refused is None:
                raise TransientError(f"kafka send to {record.topic} failed: {exc!r}") from exc
            return refused
        self._in_flight.append((record, future))
        return None

    def flush(self, timeout_s: float = 30.0) -> list[RefusedRecord]:
        """Wait until every record sent is acknowledged or failed: the ones refused for good;
        TransientError when any failed for the moment (its batch must be sent again)."""
        if self.transactional:
            if failed := self._flushed(timeout_s):
                self._doom(failed, failed[0][1])
            return []
        refused = self._judged(self._flushed(timeout_s))
        if not refused:
            return []
        # The producer stopped at the refusal and failed its neighbours with the same error:
        # each failed record goes again alone, on a new producer, to learn which was refused.
        self._reopen()
        confirmed: list[RefusedRecord] = []
        for one in refused:
            again = self.send(one.record) or next(
                iter(self._judged(self._flushed(timeout_s))), None
            )
            if again is not None:
                confirmed.append(again)
                self._reopen()
        return confirmed

    def _flushed(self, timeout_s: float) -> list[tuple[OutRecord, BaseException]]:
        # Taken first: a failed flush rewinds the caller's batch, whose records are then sent
        # anew; the ones of this flush must not be judged again by the next.
        in_flight, self._in_flight = self._in_flight, []
        try:
            self.producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise TransientError(f"kafka flush failed: {exc!r}") from exc
        return [(record, future.exception) for record, future in in_flight if future.failed()]

    @staticmethod
    def _judged(failed: list[tuple[OutRecord, BaseException]]) -> list[RefusedRecord]:
        """The refusals among the failed records; TransientError when any failed for the
        moment (its batch must be sent again)."""
        refused: list[RefusedRecord] = []
        for record, error in failed:
            refusal = _refused(record, error)
            if refusal is None:
                raise TransientError(f"kafka send to {record.topic} failed: {error!r}")
            refused.append(refusal)
        return refused

    def _reopen(self) -> None:
        """A new producer in place of the stopped one; the old one closed only once the new
        one exists, so that a broker out of reach leaves a sink that can try again."""
        if self.reopen is None:
            raise TransientError("the kafka producer stopped after a refusal and cannot reopen")
        try:
            fresh = self.reopen()
        except KafkaError as exc:
            raise TransientError(f"kafka producer not reopened: {exc!r}") from exc
        stopped, self.producer = self.producer, fresh
        stopped.close(timeout=10)

    def _settled(self) -> list[tuple[OutRecord, BaseException]]:
        """The records in flight that failed, once the producer has settled them all."""
        in_flight, self._in_flight = self._in_flight, []
        with contextlib.suppress(KafkaError):
            self.producer.flush(timeout=30)
        return [(record, future.exception) for record, future in in_flight if future.failed()]

    def _doom(
        self, failed: list[tuple[OutRecord, BaseException]], cause: BaseException
    ) -> NoReturn:
        """The open transaction cannot commit. kafka-python fails every record still waiting
        with the first failure's error and refuses every later send, an abort included: the
        producer is replaced (the new one, with the same id, aborts the transaction on its
        way in), each record that failed as refused is sent again alone in a transaction
        that is then aborted, to learn which the broker refuses for good (remembered:
        refused at `send` when the batch is handled again), and TransientError has the
        batch handled again."""
        for error in (cause, *(error for _, error in failed)):
            if _is_fenced(error):
                raise _fenced(error) from error
        self._in_flight, self._in_transaction = [], False
        self._reopen()
        suspects = [
            record
            for record, error in failed
            if type(error) not in _TRANSACTION_STATE_ERRORS and _refused(record, error)
        ]
        refused = [one for record in suspects if (one := self._alone(record)) is not None]
        for refusal in refused:
            if len(self._refused_before) >= MAX_REMEMBERED_REFUSALS:
                self._refused_before.pop(next(iter(self._refused_before)))
            self._refused_before[_identity(refusal.record)] = refusal
        raise TransientError(
            f"kafka transaction aborted, {len(refused)} record(s) refused for good: {cause!r}"
        )

    def _alone(self, record: OutRecord) -> RefusedRecord | None:
        """The broker's refusal of this record sent alone, None when it takes it; nothing
        of the trial is ever read (its transaction is aborted)."""
        try:
            self.producer.begin_transaction()
            future = self._produce(record)
            with contextlib.suppress(KafkaError):
                self.producer.flush(timeout=30)
            error = future.exception if future.failed() else None
        except KafkaError as exc:
            error = exc
        refusal = _refused(record, error) if error is not None else None
        try:
            self.producer.abort_transaction()
        except KafkaError:
            self._reopen()
        return refusal

    def _produce(self, record: OutRecord) -> Any:
        """The producer's send of the record: its future."""
        return self.producer.send(
            record.topic,
            key=record.key.encode("utf-8"),
            value=record.value,
            headers=list(record.headers),
        )

    def _begin(self) -> None:
        try:
            self.producer.begin_transaction()
        except _FENCED as exc:
            raise _fenced(exc) from exc
        except KafkaError as exc:
            self._reopen()
            raise TransientError(f"kafka transaction not begun: {exc!r}") from exc
        self._in_transaction = True

    def commit(
        self, offsets: dict[TopicPartition, OffsetAndMetadata] | None = None, group: Any = None
    ) -> None:
        """Make what was sent visible to read_committed consumers, with the input offsets
        (for `group`, a consumer's group metadata) in the same transaction. A plain producer
        has nothing to do: its records were visible once acknowledged."""
        if not self.transactional:
            return
        if not self._in_transaction:
            if not offsets:
                return
            self._begin()
        try:
            if offsets:
                self.producer.send_offsets_to_transaction(offsets, group)
            self.producer.commit_transaction()
        except _FENCED as exc:
            raise _fenced(exc) from exc
        except KafkaError as exc:
            self.abort()
            raise TransientError(f"kafka transaction not committed: {exc!r}") from exc
        self._in_transaction = False

    def abort(self) -> None:
        """Drop the open transaction: nothing of it is ever read by read_committed consumers.
        A producer that cannot abort is replaced: the new one, with the same transactional
        id, aborts it on its way in."""
        self._in_flight = []
        if not self._in_transaction:
            return
        self._in_transaction = False
        try:
            self.producer.abort_transaction()
        except _FENCED as exc:
            raise _fenced(exc) from exc
        except KafkaError as exc:
            logger.warning("kafka transaction not aborted, the producer replaced: %r", exc)
            self._reopen()

    def close(self) -> None:
        self.producer.close(timeout=10)


# A newer producer with this transactional id exists: this one is a zombie.
_FENCED = (ProducerFencedError, InvalidProducerEpochError)


def _is_fenced(error: BaseException) -> bool:
    """Fenced, or a send refused because an earlier request of the transaction was (kafka-
    python wraps that first error in the refusal's arguments)."""
    return isinstance(error, _FENCED) or any(isinstance(a, _FENCED) for a in error.args)


def _fenced(exc: BaseException) -> PipelineError:
    """Another process took this producer's transactional id: a process of the stage was
    restarted while this one still ran, or two share an instance name. Not transient: a
    retry would fence the other in turn; the stage stops (its supervisor restarts it)."""
    return PipelineError(
        f"kafka fenced this stage's producer ({exc!r}): another process uses the same "
        "transactional id; give each process of a stage its own `instance`"
    )


def _refused(record: OutRecord, error: BaseException) -> RefusedRecord | None:
    """The refusal, when the error is one no retry mends; None for a transient one. A
    refusal of our user (an ACL) raises AccessRefused: the stage stops, the record waits."""
    if refusal := kafka_access_refused(error):
        raise refusal from error
    error_class = kafka_error_class(error)
    if error_class == "transient":
        return None
    reason = f"{record.topic} refused a record of {payload_bytes(record):,} bytes: {error!r}"
    return RefusedRecord(record, error_class, reason)


def read_topic(
    bootstrap: KafkaAddress,
    topic: str,
    *,
    from_beginning: bool,
    idle_timeout_s: float | None,
    since_ms: int | None = None,
) -> Iterator[InRecord]:
    """Yield records of one topic, as a consumer without a group: it commits nothing and
    never joins (or disturbs) the pipeline's groups. Starts at the beginning, the end, or
    the first record at or after `since_ms`; ends after idle_timeout_s without a record."""
    consumer = _reader(
        bootstrap,
        auto_offset_reset="earliest" if from_beginning else "latest",
        consumer_timeout_ms=float("inf") if idle_timeout_s is None else int(idle_timeout_s * 1000),
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        if since_ms is not None:
            _seek_to_time(consumer, partitions, since_ms)
        for msg in consumer:
            yield _in_record(msg)
    finally:
        consumer.close()


def _reader(bootstrap: KafkaAddress, **options: Any) -> KafkaConsumer:
    """A consumer without a group that reads committed records only: it commits nothing and
    never joins (or disturbs) the pipeline's groups."""
    return KafkaConsumer(
        **kafka_options(bootstrap),
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        **options,
    )


@dataclass
class TopicTail:
    """A topic followed as `read_topic` reads it (no group, read_committed), polled by the
    caller so that it can stop between polls. A topic not created yet is looked for again at
    each poll."""

    consumer: KafkaConsumer
    topic: str
    since_ms: int | None

    @classmethod
    def open(cls, bootstrap: KafkaAddress, topic: str, since_ms: int | None) -> TopicTail:
        # Fetches batched (a quarter of a MiB or 300 ms, whichever first): following a busy
        # topic one record batch a fetch costs a Python consumer several % of a core.
        consumer = _reader(
            bootstrap,
            auto_offset_reset="earliest",
            fetch_min_bytes=256 * 1024,
            fetch_max_wait_ms=300,
        )
        return cls(consumer, topic, since_ms)

    def poll(self, timeout_s: float) -> list[InRecord]:
        try:
            if not self.consumer.assignment() and not self._assign():
                time.sleep(timeout_s)
                return []
            batches = self.consumer.poll(timeout_ms=int(timeout_s * 1000))
        except KafkaError as exc:
            if refusal := kafka_access_refused(exc):
                raise refusal from exc
            raise TransientError(f"kafka poll failed: {exc!r}") from exc
        return [_in_record(msg) for msgs in batches.values() for msg in msgs]

    def _assign(self) -> bool:
        found = self.consumer.partitions_for_topic(self.topic) or ()
        partitions = [TopicPartition(self.topic, p) for p in sorted(found)]
        if partitions:
            self.consumer.assign(partitions)
            if self.since_ms is not None:
                _seek_to_time(self.consumer, partitions, self.since_ms)
        return bool(partitions)

    def close(self) -> None:
        self.consumer.close()


def _seek_to_time(consumer: KafkaConsumer, partitions: Sequence[TopicPartition], ms: int) -> None:
    found = consumer.offsets_for_times(dict.fromkeys(partitions, ms))
    for tp in partitions:
        if found.get(tp) is None:
            consumer.seek_to_end(tp)  # nothing that recent on this partition
        else:
            consumer.seek(tp, found[tp].offset)
