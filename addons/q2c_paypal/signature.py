"""PayPal webhook verification without a database (docs/saas-specs.md 4.2).

Offline, as the deprecated official SDK's `WebhookEvent.verify` does it (paypalrestsdk
1.13.3, notifications.py), re-implemented with `cryptography` (the SDK's pyOpenSSL call was
removed in pyOpenSSL 24.3): the message `<transmission id>|<transmission time>|<webhook
id>|<CRC-32 of the raw body, unsigned, decimal>` signed with RSA PKCS#1 v1.5 / SHA-256 by
the certificate at PAYPAL-CERT-URL; that certificate is downloaded only from an https URL on
a host ending in `.paypal.com`, must chain to a trusted root, name a `.paypal.com` subject
and be valid now. The webhook id is ours (the system's), never taken from the request.

PayPal documents no replay window: q2c refuses a transmission time further than the
tolerance from now (default 300 s), and stores each event id once."""

import base64
import binascii
import datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

TOLERANCE = 300
AUTH_ALGO = "SHA256withRSA"
PAYPAL_HOST_SUFFIX = ".paypal.com"
MAX_CHAIN = 6
MAX_CERT_BYTES = 64 * 1024
HEADERS = (
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
)
MAX_HEADER = {"PAYPAL-TRANSMISSION-SIG": 2048, "PAYPAL-CERT-URL": 2048}
PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


class SignatureError(Exception):
    """The delivery is not PayPal's (the reason is for the log, not for the sender)."""


def crc32(body):
    """Unsigned CRC-32 of the raw body, as PayPal signs it (decimal in the message)."""
    return binascii.crc32(body) & 0xFFFFFFFF


def message(transmission_id, transmission_time, webhook_id, body):
    """The signed string: `transmission_id|transmission_time|webhook_id|crc32`."""
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc32(body)}"


def read_headers(headers):
    """The five PAYPAL-* headers as a dict, each printable ASCII and bounded; raises
    SignatureError when one is missing or malformed."""
    values = {}
    for name in HEADERS:
        value = headers.get(name) or ""
        limit = MAX_HEADER.get(name, 256)
        if not value or len(value) > limit or not (value.isascii() and value.isprintable()):
            raise SignatureError(f"missing or malformed {name} header")
        values[name] = value.strip()
    if values["PAYPAL-AUTH-ALGO"] != AUTH_ALGO:
        raise SignatureError(f"unsupported PAYPAL-AUTH-ALGO {values['PAYPAL-AUTH-ALGO']!r}")
    return values


def transmission_time(value):
    """PAYPAL-TRANSMISSION-TIME (RFC 3339) as an aware datetime; raises SignatureError."""
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise SignatureError(f"PAYPAL-TRANSMISSION-TIME {value!r} is not RFC 3339") from error
    if moment.tzinfo is None:
        raise SignatureError("PAYPAL-TRANSMISSION-TIME has no time zone")
    return moment


def check_fresh(value, now, tolerance=TOLERANCE):
    """Refuse a transmission time more than `tolerance` seconds from `now` (aware)."""
    moment = transmission_time(value)
    if abs((now - moment).total_seconds()) > tolerance:
        raise SignatureError(f"transmission time {value} outside the {tolerance} s window")


def check_cert_url(url, extra_origins=()):
    """Raise SignatureError unless `url` is https on a host ending in `.paypal.com` (no user
    information, default port), or starts with one of `extra_origins` (a test setting: see
    `q2c.system._paypal_test_trust`)."""
    for origin in extra_origins:
        if origin and url.startswith(origin.rstrip("/") + "/"):
            return
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise SignatureError("PAYPAL-CERT-URL is no URL") from error
    host = (parts.hostname or "").lower()
    if (
        parts.scheme != "https"
        or parts.username is not None
        or parts.password is not None
        or port not in (None, 443)
        or not host.endswith(PAYPAL_HOST_SUFFIX)
    ):
        raise SignatureError(f"certificate URL {url!r} is not on a PayPal host")


def load_pem_certificates(data):
    """Every certificate of a PEM bundle, in order (cryptography 3.4 reads one at a time)."""
    if not isinstance(data, bytes) or len(data) > MAX_CERT_BYTES:
        raise SignatureError("the certificate download is empty or too large")
    certs = []
    for block in data.split(PEM_BEGIN)[1:]:
        try:
            certs.append(x509.load_pem_x509_certificate(PEM_BEGIN + block))
        except ValueError as error:
            raise SignatureError("the certificate download is no PEM certificate") from error
    if not certs:
        raise SignatureError("the certificate download holds no certificate")
    return certs


def _utc(cert, name):
    value = getattr(cert, f"{name}_utc", None)  # cryptography >= 42
    if value is None:
        value = getattr(cert, name).replace(tzinfo=datetime.UTC)
    return value


def valid_now(cert, now):
    return _utc(cert, "not_valid_before") <= now <= _utc(cert, "not_valid_after")


def _is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _signed_by(cert, issuer):
    """Whether `issuer` names and signed `cert` (RSA PKCS#1 v1.5 or ECDSA)."""
    if cert.issuer != issuer.subject:
        return False
    key = issuer.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                cert.signature,
                cert.tbs_certificate_bytes,
                padding.PKCS1v15(),
                cert.signature_hash_algorithm,
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(
                cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
            )
        else:
            return False
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def common_name(cert):
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else ""


def verify_chain(certs, roots, now):
    """The leaf (first) certificate of `certs` once it chains, through the other
    certificates of the download, to one of `roots`; every certificate valid at `now`,
    every issuer a CA, the leaf's subject a `.paypal.com` name. Raises SignatureError."""
    leaf = certs[0]
    name = common_name(leaf).lower()
    if not name.endswith(PAYPAL_HOST_SUFFIX):
        raise SignatureError(f"certificate subject {name!r} is not a PayPal name")
    if not valid_now(leaf, now):
        raise SignatureError("the certificate is expired or not yet valid")
    current, pool = leaf, list(certs[1:])
    for _depth in range(MAX_CHAIN):
        if any(valid_now(root, now) and _signed_by(current, root) for root in roots):
            return leaf
        issuer = next(
            (c for c in pool if _is_ca(c) and valid_now(c, now) and _signed_by(current, c)),
            None,
        )
        if issuer is None:
            break
        pool.remove(issuer)
        current = issuer
    raise SignatureError("the certificate does not chain to a trusted root")


def verify_signature(leaf, signed, transmission_sig):
    """RSA PKCS#1 v1.5 SHA-256 of `signed` (text) under the leaf's key; raises."""
    try:
        raw = base64.b64decode(transmission_sig, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SignatureError("PAYPAL-TRANSMISSION-SIG is not base64") from error
    key = leaf.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the certificate's key is not RSA")
    try:
        key.verify(raw, signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise SignatureError("the signature does not match") from error


def load_roots(pem_bytes):
    """Trust anchors from a PEM bundle (certifi's), skipping entries this version of
    `cryptography` cannot read."""
    roots = []
    for block in pem_bytes.split(PEM_BEGIN)[1:]:
        try:
            roots.append(x509.load_pem_x509_certificate(PEM_BEGIN + block))
        except ValueError:
            continue
    return roots
