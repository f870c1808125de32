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
    `status` is the HTTP status of the answer (None when there was no answer: timeout or
    connection error, whose cause is the exception's `__cause__`), `vendor_code` the
    vendor's own error code when its answer carries one (e.g. Salesforce's
    `REQUEST_LIMIT_EXCEEDED`).
    """

    retryable = True

    def __init__(self, reason, retry_after=None, status=None, vendor_code=None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        self.vendor_code = vendor_code


class PermanentError(Q2cError):
    """A failure that a retry cannot fix: bad data, missing mapping, refused by the other side.

    With `person_kind` (a q2c.exception kind), the event also opens an exception for a
    person, after the handler's work is rolled back; `record` is what that person should
    look at (kept only if it outlives the rollback), `details` the context they need.
    `status` and `vendor_code`: the HTTP status and the vendor's error code when the error
    is another system's refusal (None otherwise); read them instead of parsing `reason`.
    For a possible duplicate (`person_kind="duplicate"`): `candidates`, the existing
    res.partner records it may be, and `external`, the (object type, external id) of the
    other system's record, to which the person's choice is bound before the event replays.
    """

    retryable = False
    # The other system's own words for its refusal (`q2c.system._vendor_error_message`),
    # to show a person without the URL, status and body; None when it gave none.
    vendor_message = None

    def __init__(
        self,
        reason,
        person_kind=None,
        details="",
        record=None,
        status=None,
        vendor_code=None,
        candidates=None,
        external=None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.person_kind = person_kind
        self.details = details
        self.record = record
        self.status = status
        self.vendor_code = vendor_code
        self.candidates = candidates
        self.external = external


class MappingError(PermanentError):
    """One record from outside cannot be mapped to canonical values: a field missing or
    malformed in the vendor's data. The record is held (or its event dead) with `reason`;
    the records beside it go on. Raise it from a mapper for bad *data* only: any other
    exception in a mapper is a bug and fails the job loudly.
    """
