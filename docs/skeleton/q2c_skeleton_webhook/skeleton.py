"""The vendor's signature scheme: pure functions, no Odoo (test them without a database).

Skeleton signs `hex(HMAC-SHA256(secret, body))` in `X-Skeleton-Signature`. Replace it with
your vendor's documented scheme (timestamps, versions, header names).
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Skeleton-Signature"


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(given, body, secrets):
    """True when one of `secrets` signed `body`; every candidate is compared in constant
    time, so timing does not tell which one failed."""
    if not given or not secrets:
        return False
    results = [hmac.compare_digest(given.encode(), sign(s, body).encode()) for s in secrets]
    return any(results)
