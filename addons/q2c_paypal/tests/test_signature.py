import datetime

from odoo.addons.q2c_paypal import signature
from odoo.tests import BaseCase, tagged

from .common import WEBHOOK_ID, make_cert, pem, pki, sign

NOW = datetime.datetime.now(datetime.UTC)


@tagged("post_install", "-at_install")
class TestPayPalSignature(BaseCase):
    """The offline check, without a database: the signed string of docs/saas-specs.md 4.2,
    the certificate URL, the chain and name of the certificate, the RSA signature."""

    def test_signed_string_of_the_spec(self):
        """saas-specs 4.2's vector: CRC-32 3863852516 (unsigned, decimal) of the raw body,
        pipe-joined with the transmission id, time and our webhook id."""
        body = (
            b'{"id":"WH-2WR32451HC0233532-67976317FL4543714",'
            b'"event_type":"PAYMENT.CAPTURE.COMPLETED"}'
        )
        self.assertEqual(signature.crc32(body), 3863852516)
        self.assertEqual(
            signature.message(
                "69cd13f0-d67a-11e5-baa3-778b53f4ae55", "2016-02-18T20:01:35Z", WEBHOOK_ID, body
            ),
            "69cd13f0-d67a-11e5-baa3-778b53f4ae55|2016-02-18T20:01:35Z|1JE4291016473214C|"
            "3863852516",
        )

    def test_certificate_url_only_from_paypal(self):
        good = [
            "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270",
            "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
            "https://API-M.PAYPAL.COM:443/v1/notifications/certs/CERT-1",
        ]
        for url in good:
            signature.check_cert_url(url)
        bad = [
            "http://api.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.paypal.com.evil.example/certs/CERT-1",
            "https://evilpaypal.com/certs/CERT-1",
            "https://paypal.com@evil.example/certs/CERT-1",
            "https://user@api.paypal.com/certs/CERT-1",
            "https://api.paypal.com:8443/certs/CERT-1",
            "ftp://api.paypal.com/certs/CERT-1",
            "https://[::1/certs",
            "http://127.0.0.1:8080/certs/leaf.pem",
        ]
        for url in bad:
            with self.subTest(url), self.assertRaises(signature.SignatureError):
                signature.check_cert_url(url)
        # The tests' stand-in origin passes only when given explicitly.
        signature.check_cert_url(
            "http://127.0.0.1:8080/certs/leaf.pem", ("http://127.0.0.1:8080",)
        )
        with self.assertRaises(signature.SignatureError):
            signature.check_cert_url("http://127.0.0.1:8080.evil/x", ("http://127.0.0.1:8080",))

    def test_chain_name_and_validity(self):
        """The leaf chains through the downloaded intermediate to the trusted root; a leaf
        of another root, with another name, expired, or without its intermediate is
        refused; an intermediate that is no CA cannot sign."""
        keys = pki()
        roots = [keys.root]
        self.assertEqual(signature.verify_chain([keys.leaf, keys.inter], roots, NOW), keys.leaf)
        not_ca = make_cert("Not a CA", keys.inter_key, keys.root, keys.root_key, ca=False)
        leaf_of_not_ca = make_cert(
            "messageverificationcerts.paypal.com", keys.leaf_key, not_ca, keys.inter_key
        )
        cases = [
            ("another root", [keys.untrusted_leaf], "trusted root"),
            ("other name", [keys.wrong_name_leaf, keys.inter], "not a PayPal name"),
            ("expired", [keys.expired_leaf, keys.inter], "expired"),
            ("no intermediate", [keys.leaf], "trusted root"),
            ("issuer not a CA", [leaf_of_not_ca, not_ca], "trusted root"),
        ]
        for name, certs, reason in cases:
            with self.subTest(name), self.assertRaisesRegex(signature.SignatureError, reason):
                signature.verify_chain(certs, roots, NOW)
        self.assertEqual(len(signature.load_pem_certificates(pem(keys.leaf, keys.inter))), 2)
        with self.assertRaises(signature.SignatureError):
            signature.load_pem_certificates(b"-----BEGIN CERTIFICATE-----\nAAAA\n")

    def test_rsa_signature_and_headers(self):
        keys = pki()
        body = b'{"id":"WH-1"}'
        good = sign(keys.leaf_key, "t-1", "2026-12-06T10:00:00Z", WEBHOOK_ID, body)
        signed = signature.message("t-1", "2026-12-06T10:00:00Z", WEBHOOK_ID, body)
        signature.verify_signature(keys.leaf, signed, good)
        other = signature.message("t-1", "2026-12-06T10:00:00Z", "WRONGWEBHOOK", body)
        for name, text, sig in [
            ("other webhook id", other, good),
            ("not base64", signed, "***"),
            ("other key", signed, sign(keys.inter_key, "t-1", "x", WEBHOOK_ID, body)),
        ]:
            with self.subTest(name), self.assertRaises(signature.SignatureError):
                signature.verify_signature(keys.leaf, text, sig)
        headers = {
            "PAYPAL-TRANSMISSION-ID": "t-1",
            "PAYPAL-TRANSMISSION-TIME": "2026-12-06T10:00:00Z",
            "PAYPAL-TRANSMISSION-SIG": good,
            "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-1",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        }
        self.assertEqual(signature.read_headers(headers)["PAYPAL-TRANSMISSION-ID"], "t-1")
        for name, value in [
            ("PAYPAL-AUTH-ALGO", "SHA1withRSA"),
            ("PAYPAL-TRANSMISSION-ID", ""),
            ("PAYPAL-TRANSMISSION-ID", "é"),
            ("PAYPAL-TRANSMISSION-SIG", "A" * 3000),
        ]:
            with self.subTest(name, value=value), self.assertRaises(signature.SignatureError):
                signature.read_headers({**headers, name: value})

    def test_replay_window(self):
        now = datetime.datetime(2026, 12, 6, 10, 0, tzinfo=datetime.UTC)
        signature.check_fresh("2026-12-06T09:55:00Z", now)
        signature.check_fresh("2026-12-06T11:04:59+01:00", now)
        signature.check_fresh("2026-12-06T10:00:00.123Z", now)
        for value in ("2026-12-06T09:54:59Z", "2026-12-06T10:05:01Z", "2026-12-06T10:00:00", "x"):
            with self.subTest(value), self.assertRaises(signature.SignatureError):
                signature.check_fresh(value, now)
