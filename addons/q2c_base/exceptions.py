"""Errors that decide what happens to an inbound request or to an event being processed."""


class Q2cError(Exception):
    """Base of q2c's own errors."""


class RequestRejected(Q2cError):
    """An inbound request is refused with an HTTP status and a reason safe to show the caller."""

    status = 400

    def __init__(self, reason, status=None):
        super().__init__(reason)
        self.reason = reason
        if status:
            self.status = status


class VerificationFailed(RequestRejected):
    """Signature, timestamp or credentials did not verify (fail closed, no detail)."""

    status = 401


class TransientError(Q2cError):
    """A failure worth retrying later: timeout, connection error, HTTP 429 or 5xx.

    `retry_after` (seconds), when the other side said when to come back, is honoured.
    """

    def __init__(self, reason, retry_after=None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentError(Q2cError):
    """A failure that a retry cannot fix: bad data, missing mapping, refused by the other side.

    With `person_kind` (a q2c.exception kind), the event also opens an exception for a
    person, after the handler's work is rolled back; `record` is what that person should
    look at (kept only if it outlives the rollback), `details` the context they need.
    """

    def __init__(self, reason, person_kind=None, details="", record=None):
        super().__init__(reason)
        self.reason = reason
        self.person_kind = person_kind
        self.details = details
        self.record = record
