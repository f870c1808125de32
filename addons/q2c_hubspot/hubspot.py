"""HubSpot request signatures (docs/saas-specs.md 2.2): pure functions, no Odoo.

v3: base64(HMAC-SHA256(client secret, method + uri + body + timestamp)), timestamp in ms,
refused outside a 5-minute window (both ways: HubSpot's SDK only bounds the past).
v2: hex(SHA-256(client secret + method + uri + body)); v1: hex(SHA-256(client secret + body)).
"""

import base64
import hashlib
import hmac
import re

WINDOW_MS = 5 * 60 * 1000
# Milliseconds since 1970 fit in 16 digits until the year 318857: longer is no timestamp.
MAX_TIMESTAMP_DIGITS = 16
# A base64 SHA-256 is 44 characters, a hex one 64: a longer or non-ASCII value is no signature.
MAX_SIGNATURE_CHARS = 128
_DIGITS = re.compile(r"[0-9]{1,16}", re.ASCII)
# Characters HubSpot decodes in the URI before signing v3 (validating-requests page).
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
_ENCODED = re.compile("|".join(_DECODED), re.IGNORECASE)


class SignatureError(ValueError):
    """The request is not signed by a secret we hold (or too old)."""


def decode_uri(uri):
    return _ENCODED.sub(lambda match: _DECODED[match.group(0).upper()], uri)


def signature_v3(secret, method, uri, body, timestamp):
    message = method.upper().encode() + decode_uri(uri).encode() + body + str(timestamp).encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_v2(secret, method, uri, body):
    return hashlib.sha256(
        secret.encode() + method.upper().encode() + uri.encode() + body
    ).hexdigest()


def signature_v1(secret, body):
    return hashlib.sha256(secret.encode() + body).hexdigest()


def verify(headers, body, secrets, method, uri, now_ms, allow_legacy=False):
    """Raise SignatureError unless one of `secrets` signed this request."""
    if not secrets:
        raise SignatureError("no client secret configured")
    signature_v3_header = headers.get("X-HubSpot-Signature-v3")
    if signature_v3_header:
        timestamp = headers.get("X-HubSpot-Request-Timestamp") or ""
        # ASCII digits only: str.isdigit() also takes '²', which int() refuses.
        if not _DIGITS.fullmatch(timestamp):
            raise SignatureError("missing or malformed timestamp")
        if abs(now_ms - int(timestamp)) > WINDOW_MS:
            raise SignatureError("timestamp outside the 5-minute window")
        expected = [signature_v3(s, method, uri, body, timestamp) for s in secrets]
        return _match(signature_v3_header, expected)
    legacy = headers.get("X-HubSpot-Signature")
    if not (legacy and allow_legacy):
        raise SignatureError("no v3 signature (v1/v2 are not accepted for this system)")
    version = (headers.get("X-HubSpot-Signature-Version") or "v1").lower()
    if version == "v2":
        expected = [signature_v2(s, method, uri, body) for s in secrets]
    elif version == "v1":
        expected = [signature_v1(s, body) for s in secrets]
    else:
        raise SignatureError("unknown signature version")
    return _match(legacy, expected)


def _match(given, expected):
    if not (given.isascii() and len(given) <= MAX_SIGNATURE_CHARS):
        raise SignatureError("malformed signature")
    # Every candidate is compared (constant time each) so timing does not tell which failed.
    results = [hmac.compare_digest(given.encode(), candidate.encode()) for candidate in expected]
    if not any(results):
        raise SignatureError("signature mismatch")
    return True
