"""Which client errors rewind a stage (transient) and which dead-letter the input that met
them (too_large, rejected): a table over kafka-python's and redis-py's error classes."""

from typing import Any

import pytest
from kafka import errors as k
from redis import exceptions as r

from adapters.error_classes import ErrorClass, kafka_error_class, redis_error_class

KAFKA_CASES: list[tuple[BaseException, ErrorClass]] = [
    (k.MessageSizeTooLargeError("producer limit"), "too_large"),
    (k.RecordListTooLargeError(), "too_large"),
    (k.InvalidRecordError(), "rejected"),
    (k.CorruptRecordError(), "rejected"),
    (k.TopicAuthorizationFailedError(), "rejected"),
    (k.ClusterAuthorizationFailedError(), "rejected"),
    (k.TransactionalIdAuthorizationFailedError(), "rejected"),
    (k.SaslAuthenticationFailedError(), "rejected"),
    (k.InvalidTopicError(), "rejected"),
    (k.UnsupportedCodecError(), "rejected"),
    (k.UnsupportedForMessageFormatError(), "rejected"),
    (k.PolicyViolationError(), "rejected"),
    (k.InvalidTimestampError(), "rejected"),
    (k.InvalidRequiredAcksError(), "rejected"),
    (k.KafkaConfigurationError(), "rejected"),
    (k.IllegalStateError(), "rejected"),
    (k.UnknownError(), "rejected"),
    (k.KafkaConnectionError(), "transient"),
    (k.KafkaTimeoutError(), "transient"),
    (k.RequestTimedOutError(), "transient"),
    (k.NodeNotReadyError(), "transient"),
    (k.BrokerNotAvailableError(), "transient"),
    (k.LeaderNotAvailableError(), "transient"),
    (k.NotLeaderForPartitionError(), "transient"),
    (k.UnknownTopicOrPartitionError(), "transient"),
    (k.NotEnoughReplicasError(), "transient"),
    (k.NotEnoughReplicasAfterAppendError(), "transient"),
    (k.NetworkExceptionError(), "transient"),
    (k.KafkaStorageError(), "transient"),
    (k.CoordinatorNotAvailableError(), "transient"),
    (k.NotCoordinatorError(), "transient"),
    (k.ThrottlingQuotaExceededError(), "transient"),
    (k.QuotaViolationError(), "transient"),
    (k.TooManyInFlightRequests(), "transient"),
    (k.Cancelled(), "transient"),
    (k.StaleMetadata(), "transient"),
    (ConnectionResetError(), "transient"),
    (TimeoutError(), "transient"),
]


@pytest.mark.parametrize(
    ("error", "expected"), KAFKA_CASES, ids=[type(e).__name__ for e, _ in KAFKA_CASES]
)
def test_kafka_error_class(error: BaseException, expected: ErrorClass) -> None:
    assert kafka_error_class(error) == expected


def test_every_retriable_kafka_error_class_is_transient() -> None:
    classes: list[Any] = [c for c in vars(k).values() if isinstance(c, type)]
    retriable = [c for c in classes if issubclass(c, k.KafkaError) and c.retriable]
    assert len(retriable) > 20
    # Made without __init__: some take arguments; the class is what is classified.
    assert {c.__name__: kafka_error_class(c.__new__(c)) for c in retriable} == {
        c.__name__: "transient" for c in retriable
    }


REDIS_CASES: list[tuple[BaseException, ErrorClass]] = [
    (r.ConnectionError("Connection refused"), "transient"),
    (r.TimeoutError("Timeout reading from socket"), "transient"),
    (r.BusyLoadingError("Redis is loading the dataset in memory"), "transient"),
    (r.ReadOnlyError("You can't write against a read only replica."), "transient"),
    (r.OutOfMemoryError("command not allowed when used memory > 'maxmemory'"), "transient"),
    (r.TryAgainError("Multiple keys request during rehashing of slot"), "transient"),
    (r.ClusterDownError("The cluster is down"), "transient"),
    (r.MasterDownError("Link with MASTER is down"), "transient"),
    (r.ResponseError("BUSY Redis is busy running a script."), "transient"),
    (r.ResponseError("MISCONF Redis is configured to save RDB snapshots"), "transient"),
    (r.ResponseError("NOREPLICAS Not enough good replicas to write."), "transient"),
    (r.ResponseError("LOADING Redis is loading the dataset in memory"), "transient"),
    (r.InvalidResponse("Protocol error"), "transient"),
    (ConnectionResetError(), "transient"),
    (
        r.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        "rejected",
    ),
    (r.ResponseError("ERR Error running script: user_script:1: attempt to index nil"), "rejected"),
    (r.ResponseError("ERR value is not an integer or out of range"), "rejected"),
    (r.NoScriptError("NOSCRIPT No matching script."), "rejected"),
    (r.AuthenticationError("invalid username-password pair"), "rejected"),
    (r.AuthorizationError("NOAUTH Authentication required."), "rejected"),
    (r.NoPermissionError("NOPERM this user has no permissions"), "rejected"),
    (r.DataError("Invalid input of type: 'dict'"), "rejected"),
]


@pytest.mark.parametrize(
    ("error", "expected"),
    REDIS_CASES,
    ids=[str(e)[:40] or type(e).__name__ for e, _ in REDIS_CASES],
)
def test_redis_error_class(error: BaseException, expected: ErrorClass) -> None:
    assert redis_error_class(error) == expected
