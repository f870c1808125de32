"""Stripe-Signature verification, as the official SDK's `WebhookSignature.verify_header`
does it (docs/saas-specs.md 1.2; stripe 16.1.0, stripe/_webhook.py): HMAC-SHA256 of
"<t>.<raw body>" keyed with the whole `whsec_...` secret, compared with every `v1` of the
header (a rolled secret signs with both), `v0` never accepted, and a timestamp older than
the tolerance refused (a future one passes, as in the SDK)."""

import hashlib
import hmac

TOLERANCE = 300
MAX_HEADER = 4096


class SignatureError(Exception):
    """The request is not Stripe's (the reason is for the log, not for the sender)."""


def compute(secret, timestamp, payload):
    """Lower-case hex HMAC-SHA256 of "<timestamp>.<payload>" (payload as text)."""
    signed = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def parse_header(header):
    """(timestamp int, [v1 signatures]) of a Stripe-Signature header."""
    if not header or len(header) > MAX_HEADER:
        raise SignatureError("missing or oversized Stripe-Signature header")
    timestamp, candidates = None, []
    for item in header.split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t" and timestamp is None:
            if not (value.isascii() and value.isdigit() and len(value) <= 12):
                raise SignatureError("Unable to extract timestamp and signatures from header")
            timestamp = int(value)
        elif key == "v1" and value.isascii():
            candidates.append(value)
    if timestamp is None:
        raise SignatureError("Unable to extract timestamp and signatures from header")
    if not candidates:
        raise SignatureError("No signatures found with expected scheme v1")
    return timestamp, candidates


def verify(header, body, secrets, now, tolerance=TOLERANCE):
    """Raise SignatureError unless one of `secrets` signed `body` (bytes) in `header`."""
    timestamp, candidates = parse_header(header)
    try:
        payload = body.decode()
    except UnicodeDecodeError as error:
        raise SignatureError("the body is not UTF-8") from error
    expected = [compute(secret, timestamp, payload) for secret in secrets if secret]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        raise SignatureError("No signatures found matching the expected signature for payload")
    if tolerance and timestamp < now - tolerance:
        raise SignatureError(f"Timestamp outside the tolerance zone ({timestamp})")
