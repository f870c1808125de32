"""The `generic` signature scheme: `X-Q2C-Signature: t=<unix seconds>,v1=<hex>`.

`v1` is the hex HMAC-SHA256, keyed with the system's signing secret, of `"<t>.<raw body>"`.
Several `v1` entries may be present (a sender signing with the old and the new secret during a
rotation); any one matching any valid secret verifies. Same shape as Stripe's scheme.
"""

import hashlib
import hmac
import re
import time

from . import inputs

TOLERANCE_SECONDS = 300
# Unix seconds fit in 12 digits until the year 33658; a longer `t` is not a timestamp.
MAX_TIMESTAMP_DIGITS = 12
_HEX = re.compile(r"[0-9a-fA-F]{1,128}", re.ASCII)


def sign(secret, body, timestamp=None):
    """Return the header value signing `body` (bytes) with `secret` (str) at `timestamp`."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def parse_header(value):
    """Return (timestamp, [v1 signatures]) or (None, []) when the header is malformed.

    Read defensively (the header is the sender's): bounded in length, `t` in ASCII digits
    only, `v1` entries hex only; anything else is ignored and fails verification (401).
    """
    if inputs.printable_ascii(value or "") is None:
        return None, []
    timestamp, signatures = None, []
    for item in (value or "").split(","):
        key, _sep, val = item.strip().partition("=")
        val = val.strip()
        if key == "t":
            timestamp = inputs.ascii_int(val, MAX_TIMESTAMP_DIGITS)
        elif key == "v1" and _HEX.fullmatch(val):
            signatures.append(val.lower())
    return timestamp, signatures


def verify(header, body, secrets, now=None, tolerance=TOLERANCE_SECONDS):
    """Tell whether `header` signs `body` with one of `secrets`, within `tolerance` seconds."""
    timestamp, signatures = parse_header(header)
    secrets = [secret for secret in secrets if secret]
    if timestamp is None or not signatures or not secrets:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    prefix = f"{timestamp}.".encode()
    for secret in secrets:
        expected = hmac.new(secret.encode(), prefix + body, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return True
    return False
