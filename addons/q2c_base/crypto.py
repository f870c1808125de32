"""Encryption of integration secrets at rest.

Secrets (signing secrets, API tokens, passwords) are stored as Fernet tokens (AES-128-CBC with
HMAC-SHA256, from `cryptography`) under a key that lives in the server configuration, never in
the database: `q2c_secret_key` in the Odoo configuration file, or the `Q2C_SECRET_KEY`
environment variable. A database dump alone therefore reveals no secret.
"""

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken

from odoo.tools import config

PREFIX = "q2c1:"


class SecretKeyMissing(Exception):
    """No encryption key is configured on this server."""


class SecretUndecryptable(Exception):
    """A stored secret cannot be decrypted with the configured key (key changed, data damaged)."""


def _configured_key():
    return config.get("q2c_secret_key") or os.environ.get("Q2C_SECRET_KEY") or ""


def _fernet():
    key = _configured_key().strip()
    if not key:
        raise SecretKeyMissing(
            "No encryption key for integration secrets: set q2c_secret_key in the Odoo "
            "configuration file (or Q2C_SECRET_KEY in Odoo's environment) and restart Odoo."
        )
    try:
        return Fernet(key.encode())
    except ValueError:
        # Not a Fernet key (32 url-safe base64 bytes): derive one from the passphrase.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def is_configured():
    return bool(_configured_key().strip())


def encrypt(plaintext):
    """Return the stored form of `plaintext` (str); empty stays empty."""
    if not plaintext:
        return False
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored):
    """Return the plaintext of a value produced by `encrypt`; empty stays empty."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise SecretUndecryptable("The stored secret is not in q2c's encrypted format.")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise SecretUndecryptable(
            "The stored secret cannot be decrypted with the configured key; "
            "set the secret again or restore the previous key."
        ) from error
