"""HTTP Basic on Chargebee's webhook (docs/saas-specs.md 4.1): Chargebee sends the username
and password set in its webhook settings as `Authorization: Basic base64(user:pass)`; the
official Node SDK's `basicAuthValidator` splits the decoded text on its first colon. There is
no signature: the credentials are the proof, compared in constant time."""

import base64
import binascii
import hmac

MAX_HEADER = 1024


class AuthError(Exception):
    """The request does not carry valid credentials (the reason is for the log only)."""


def credentials(header):
    """The decoded `user:pass` bytes of a Basic Authorization header."""
    if not header or len(header) > MAX_HEADER:
        raise AuthError("missing or oversized Authorization header")
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise AuthError("not HTTP Basic")
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise AuthError("credentials are not base64") from error
    if b":" not in decoded:
        raise AuthError("credentials hold no colon")
    return decoded


def verify(header, valid):
    """Raise AuthError unless the header carries one of `valid` (`user:pass` texts: the
    current credentials and, during a rotation's grace period, the previous ones). Every
    candidate is compared, in constant time, whichever matches."""
    given = credentials(header)
    matches = [hmac.compare_digest(given, secret.encode()) for secret in valid if secret]
    if not any(matches):
        raise AuthError("credentials do not match")


def header(username, password):
    """The Authorization header Chargebee sends (for tests and the documentation)."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return f"Basic {token}"
