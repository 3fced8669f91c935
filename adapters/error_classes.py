"""Which client errors are worth retrying: the one rule the stages rewind by.

A transient error (a server unreachable, a leader moving, a timeout) goes away by itself: the
stage pauses, rewinds and handles the same input again. A permanent one (a record too large,
an invalid record, a refused authorization, a script error) would come back on every retry
and stall the partition behind it for good: the input that met it is dead-lettered with the
reason, and the stage moves on.
"""

from __future__ import annotations

from typing import Literal

from kafka import errors as kafka_errors
from redis import exceptions as redis_errors

from workers.errors import AccessRefused

ErrorClass = Literal["transient", "too_large", "rejected"]

# Kafka marks the errors a retry may mend (`retriable`, as the Java client's RetriableException);
# these are not so marked, yet are about the moment, not the record.
_KAFKA_TRANSIENT: tuple[type[Exception], ...] = (
    kafka_errors.KafkaConnectionError,
    kafka_errors.NodeNotReadyError,
    kafka_errors.BrokerNotAvailableError,
    kafka_errors.KafkaTimeoutError,
    kafka_errors.RequestTimedOutError,
    kafka_errors.QuotaViolationError,
    kafka_errors.ThrottlingQuotaExceededError,
    kafka_errors.Cancelled,
    kafka_errors.TooManyInFlightRequests,
)
_KAFKA_TOO_LARGE: tuple[type[Exception], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
)


def kafka_access_refused(error: BaseException) -> AccessRefused | None:
    """A broker's ACL refusal (a topic, a group, a transactional id, the cluster) as
    AccessRefused: the principal lacks a grant, which no retry gives and which is no fault
    of the record (dead-lettering it would blame the article)."""
    if not isinstance(error, kafka_errors.AuthorizationError):
        return None
    return AccessRefused(
        f"kafka refused an operation to our user: {error!r}; grant the user the Kafka ACLs "
        "of docs/operations.md (section A secured cluster), or check kafka_sasl_username"
    )


def kafka_error_class(error: BaseException) -> ErrorClass:
    """What a Kafka client error says of the record it met: too large for the broker or the
    producer, rejected for good (invalid, unauthorized, an unknown kind of failure), or
    transient. A socket error of our own side is transient."""
    if isinstance(error, _KAFKA_TOO_LARGE):
        return "too_large"
    if isinstance(error, (*_KAFKA_TRANSIENT, OSError)):
        return "transient"
    if isinstance(error, kafka_errors.KafkaError) and error.retriable:
        return "transient"
    return "rejected"


# Error replies that say "not now" (RedisError subclasses where redis-py has one, else the
# reply's first word): a script running too long, a failing disk save, a replica missing,
# a cluster resharding, memory full until keys expire.
_REDIS_TRANSIENT: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    redis_errors.TryAgainError,
    redis_errors.ClusterDownError,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
    redis_errors.MasterDownError,
)
_REDIS_REFUSED_ACCESS: tuple[type[Exception], ...] = (
    redis_errors.AuthenticationError,
    redis_errors.AuthorizationError,
    redis_errors.NoPermissionError,
)
_REDIS_NOT_NOW_CODES = frozenset({"BUSY", "MISCONF", "NOREPLICAS", "LOADING", "TRYAGAIN"})


def redis_error_class(error: BaseException) -> ErrorClass:
    """Transient for an unreachable, busy or read-only server; rejected for every reply that
    would say the same again (a wrong key type, a script's own error, a refused password or
    permission: an operator has to act)."""
    if isinstance(error, _REDIS_REFUSED_ACCESS):
        return "rejected"  # a ConnectionError's subclass, but no retry mends a wrong password
    if isinstance(error, (*_REDIS_TRANSIENT, OSError)):
        return "transient"
    if isinstance(error, redis_errors.ResponseError):
        code = str(error).split(" ", 1)[0]
        return "transient" if code in _REDIS_NOT_NOW_CODES else "rejected"
    if isinstance(error, redis_errors.RedisError):
        # A reply redis-py could not read, a closed client, an invalid argument: the client
        # is at fault, and a new connection on the next try starts clean.
        return "transient" if isinstance(error, redis_errors.InvalidResponse) else "rejected"
    return "rejected"
