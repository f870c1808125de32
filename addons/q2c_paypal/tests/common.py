import base64
import datetime
import itertools
import json
import re
import uuid
from contextlib import ExitStack
from unittest.mock import patch

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from odoo import Command
from odoo.addons.q2c_base.tests.common import FakeApi, Q2cCase, serve_locally
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.addons.q2c_paypal import signature
from odoo.addons.q2c_paypal.models import q2c_system as paypal_system
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import config

WEBHOOK_ID = "1JE4291016473214C"
CLIENT_ID = "AbCdClientId"
CLIENT_SECRET = "EfGhClientSecret"
ACCESS_TOKEN = "A21AAtesttoken"
_ids = itertools.count(1)


# --- a test PKI made with `cryptography`: root -> intermediate -> PayPal-named leaf ------


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_cert(common_name, key, issuer=None, issuer_key=None, ca=False, days=(-1, 30)):
    """A certificate of `key` named `common_name`, signed by `issuer` (self-signed without)."""
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


def pem(*certs):
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


class TestPki:
    """Made once per process: a trusted root (given to the system through the test
    setting), an intermediate, PayPal's signing leaf, and the wrong ones."""

    def __init__(self):
        self.root_key, self.inter_key, self.leaf_key = _key(), _key(), _key()
        self.root = make_cert("q2c Test Root CA", self.root_key, ca=True, days=(-2, 365))
        self.inter = make_cert(
            "q2c Test Intermediate CA", self.inter_key, self.root, self.root_key, ca=True
        )
        self.leaf = make_cert(
            "messageverificationcerts.sandbox.paypal.com",
            self.leaf_key,
            self.inter,
            self.inter_key,
        )
        other_key = _key()
        other_root = make_cert("Untrusted Root", other_key, ca=True)
        self.untrusted_leaf = make_cert(
            "messageverificationcerts.sandbox.paypal.com", self.leaf_key, other_root, other_key
        )
        self.wrong_name_leaf = make_cert(
            "payments.example.com", self.leaf_key, self.inter, self.inter_key
        )
        self.expired_leaf = make_cert(
            "messageverificationcerts.sandbox.paypal.com",
            self.leaf_key,
            self.inter,
            self.inter_key,
            days=(-30, -1),
        )
        self.certs = {
            "leaf.pem": pem(self.leaf, self.inter),
            "untrusted.pem": pem(self.untrusted_leaf),
            "wrong-name.pem": pem(self.wrong_name_leaf, self.inter),
            "expired.pem": pem(self.expired_leaf, self.inter),
        }


_PKI = []


def pki():
    if not _PKI:
        _PKI.append(TestPki())
    return _PKI[0]


def sign(key, transmission_id, transmission_time, webhook_id, body):
    signed = signature.message(transmission_id, transmission_time, webhook_id, body)
    raw = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def transmission_time(offset=0):
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the stand-in PayPal -------------------------------------------------------------------


class PayPalStandIn(FakeApi):
    """PayPal's REST API as far as q2c uses it, with its state on the class: the OAuth
    token (Basic client id and secret), the certificate downloads, the signature check of
    /v1/notifications/verify-webhook-signature (done with the test certificate on the raw
    `webhook_event` text q2c spliced in), Invoicing v2 (create, send, cancel, record an
    external payment; PayPal-Request-Id honoured; the bearer token checked) and
    captures."""

    seen = []
    invoices = {}
    by_request_id = {}
    captures = {}
    answers = {}

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self, body):
        type(self).seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
            }
        )

    def do_GET(self):
        self._record(b"")
        match = re.fullmatch(r"/certs/([\w.-]+)", self.path)
        if match:
            return self._send_pem(pki().certs.get(match.group(1)))
        if not self._authorized():
            return None
        match = re.fullmatch(r"/v2/invoicing/invoices/([\w-]+)", self.path)
        if match and match.group(1) in self.invoices:
            return self._send(200, self.invoices[match.group(1)])
        match = re.fullmatch(r"/v2/payments/captures/(\w+)", self.path)
        if match and match.group(1) in self.captures:
            return self._send(200, self.captures[match.group(1)])
        return self._send(404, {"name": "RESOURCE_NOT_FOUND", "details": [{"issue": "x"}]})

    def do_POST(self):
        body = self._body()
        self._record(body)
        if self.path == "/v1/oauth2/token":
            return self._token()
        if not self._authorized():
            return None
        if self.path == "/v1/notifications/verify-webhook-signature":
            return self._verify(body.decode())
        if self.path == "/v2/invoicing/invoices":
            return self._create_invoice(json.loads(body))
        return self._invoice_action(body)

    def _invoice_action(self, body):
        """POST /v2/invoicing/invoices/{id}/send, /cancel or /payments."""
        match = re.fullmatch(r"/v2/invoicing/invoices/([\w-]+)/(send|cancel|payments)", self.path)
        if not (match and match.group(1) in self.invoices):
            return self._send(404, {"name": "RESOURCE_NOT_FOUND"})
        invoice, action = self.invoices[match.group(1)], match.group(2)
        if action == "send":
            return self._send_invoice(invoice)
        return self._once(action, lambda: getattr(self, f"_{action}_invoice")(invoice, body))

    def _once(self, action, answer):
        """PayPal-Request-Id as PayPal keeps it: the same id gets the first answer back,
        and changes nothing again."""
        key = (action, self.headers.get("PayPal-Request-Id"))
        if key[1] and key in self.answers:
            return self._answer(*self.answers[key])
        status, data = answer()
        if key[1] and status < 400:
            self.answers[key] = (status, data)
        return self._answer(status, data)

    def _answer(self, status, data):
        if data is not None:
            return self._send(status, data)
        self.send_response(status)
        self.end_headers()
        return None

    def _cancel_invoice(self, invoice, body):
        """Cancel a sent, unpaid invoice (PayPal refuses to cancel one holding any
        payment); 204 without a body."""
        if invoice["status"] not in ("SENT", "UNPAID", "SCHEDULED"):
            return 422, {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "INVALID_STATE"}]}
        invoice["status"] = "CANCELLED"
        invoice["cancellation"] = json.loads(body)
        return 204, None

    def _payments_invoice(self, invoice, body):
        """Record an external payment: at most the amount due; PARTIALLY_PAID, or
        MARKED_AS_PAID once nothing is due."""
        data = json.loads(body)
        due = float(invoice["due_amount"]["value"])
        value = float(data["amount"]["value"])
        if invoice["status"] not in ("SENT", "UNPAID", "PARTIALLY_PAID") or value > due + 1e-9:
            return 422, {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "INVALID_AMOUNT"}]}
        payment_id = f"EXTR-{len(self.seen):04d}"
        payments = invoice.setdefault("payments", {"transactions": []})
        payments["transactions"].append({"payment_id": payment_id, "type": "EXTERNAL", **data})
        left = round(due - value, 2)
        invoice["due_amount"] = {**invoice["due_amount"], "value": f"{left:.2f}"}
        invoice["status"] = "MARKED_AS_PAID" if left <= 0 else "PARTIALLY_PAID"
        return 200, {"payment_id": payment_id}

    def _send_pem(self, data):
        if data is None:
            return self._send(404, {"name": "RESOURCE_NOT_FOUND"})
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

    def _token(self):
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            return self._send(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
            )
        return self._send(
            200,
            {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 32400},
        )

    def _authorized(self):
        if self.headers.get("Authorization") == f"Bearer {ACCESS_TOKEN}":
            return True
        self._send(401, {"error": "invalid_token"})
        return False

    def _verify(self, text):
        """Verify as PayPal would, on the `webhook_event` text exactly as q2c sent it."""
        marker = '"webhook_event": '
        head = json.loads(text[: text.index(marker)].rstrip(", ") + "}")
        raw = text[text.index(marker) + len(marker) : -1].encode()
        try:
            signature.check_cert_url(head["cert_url"], (f"http://{self.headers['Host']}",))
            signature.verify_signature(
                pki().leaf,
                signature.message(
                    head["transmission_id"], head["transmission_time"], head["webhook_id"], raw
                ),
                head["transmission_sig"],
            )
            status = "SUCCESS"
        except signature.SignatureError:
            status = "FAILURE"
        return self._send(200, {"verification_status": status})

    def _create_invoice(self, data):
        request_id = self.headers.get("PayPal-Request-Id")
        if request_id in self.by_request_id:
            return self._send(201, self.invoices[self.by_request_id[request_id]])
        invoice_id = f"INV2-{uuid.uuid4().hex[:4].upper()}-{len(self.invoices) + 1:04d}"
        data["id"] = invoice_id
        data["status"] = "DRAFT"
        total = sum(
            float(item["unit_amount"]["value"]) * float(item["quantity"]) for item in data["items"]
        )
        code = data["detail"]["currency_code"]
        data["amount"] = {"currency_code": code, "value": f"{total:.2f}"}
        data["due_amount"] = dict(data["amount"])
        data["detail"]["metadata"] = {
            "recipient_view_url": f"https://www.sandbox.paypal.com/invoice/p/#{invoice_id}"
        }
        self.invoices[invoice_id] = data
        if request_id:
            self.by_request_id[request_id] = invoice_id
        return self._send(201, data)

    def _send_invoice(self, invoice):
        if invoice["status"] != "DRAFT":
            return self._send(
                422,
                {"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "INVALID_INVOICE_STATUS"}]},
            )
        invoice["status"] = "SENT"
        href = invoice["detail"]["metadata"]["recipient_view_url"]
        return self._send(200, {"rel": "payer-view", "href": href, "method": "GET"})


@tagged("post_install", "-at_install")
class PayPalCase(Q2cBillingCase, HttpCase):
    """A company with a chart of accounts (q2c_billing's set-up), a PayPal system with its
    integration user, bank journal and fee account, a stand-in PayPal serving the test
    certificates, and helpers that post events signed with the test certificate's key
    through Odoo's HTTP server and run their jobs as queue_job's runner does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        stack = ExitStack()
        cls.addClassCleanup(stack.close)
        cls.stand_in = type(
            "PayPal",
            (PayPalStandIn,),
            {"seen": [], "invoices": {}, "by_request_id": {}, "captures": {}, "answers": {}},
        )
        cls.api_url = stack.enter_context(serve_locally(cls.stand_in))
        # The test setting that lets the system download the stand-in's certificate and
        # trust the test root; read only under --test-enable (see _paypal_test_trust).
        stack.enter_context(
            patch.dict(
                config.options,
                {
                    paypal_system.TEST_ORIGIN_OPTION: cls.api_url,
                    paypal_system.TEST_CA_OPTION: pem(pki().root).decode(),
                },
            )
        )
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.paypal_user = new_test_user(
            cls.env,
            login="q2c_paypal_int",
            groups="base.group_user,base.group_partner_manager,account.group_account_invoice,"
            "q2c_base.group_integration_user",
            **company,
        )
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.fee_account = cls.company_data["default_account_expense"]
        cls.paypal = cls.env["q2c.system"].create(
            {
                "name": "PayPal (test)",
                "system_type": "paypal",
                "user_id": cls.paypal_user.id,
                "company_id": cls.company.id,
                "base_url": cls.api_url,
                "api_username": CLIENT_ID,
                "api_password": CLIENT_SECRET,
                "paypal_webhook_id": WEBHOOK_ID,
                "payment_journal_id": cls.bank_journal.id,
                "payment_fee_account_id": cls.fee_account.id,
                "payment_activity_user_id": cls.finance_user.id,
            }
        )

    def setUp(self):
        super().setUp()
        paypal_system._CERTS.clear()
        paypal_system._TOKENS.clear()
        for state in (
            self.stand_in.invoices,
            self.stand_in.by_request_id,
            self.stand_in.captures,
            self.stand_in.answers,
        ):
            state.clear()
        self.stand_in.seen.clear()

    # --- invoices ------------------------------------------------------------------------

    def _invoice(self, amount, partner=None, currency=None):
        return self.init_invoice(
            "out_invoice",
            partner=partner or self.customer,
            amounts=[amount],
            post=True,
            currency=currency,
        )

    # --- posting -------------------------------------------------------------------------

    def _cert_url(self, name="leaf.pem"):
        return f"{self.api_url}/certs/{name}"

    def _signed_headers(self, body, **overrides):
        """The five PAYPAL-* headers of `body`, signed with the test leaf's key; an
        override replaces a value (`webhook_id` and `key` change what is signed)."""
        tid = overrides.pop("transmission_id", str(uuid.uuid4()))
        ttime = overrides.pop("transmission_time", transmission_time())
        webhook_id = overrides.pop("webhook_id", WEBHOOK_ID)
        key = overrides.pop("key", pki().leaf_key)
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": tid,
            "PAYPAL-TRANSMISSION-TIME": ttime,
            "PAYPAL-TRANSMISSION-SIG": sign(key, tid, ttime, webhook_id, body),
            "PAYPAL-CERT-URL": overrides.pop("cert_url", self._cert_url()),
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        }
        headers.update(overrides)
        return headers

    def _post_paypal(self, event, headers=None, **overrides):
        payload = event if isinstance(event, str) else json.dumps(event)
        body = payload.encode()
        if headers is None:
            headers = self._signed_headers(body, **overrides)
        return self.url_open(self._paypal_url(), data=body, headers=headers)

    def _paypal_url(self):
        return f"/q2c/webhook/paypal/{self.paypal.inbound_key}"

    def _paypal_events(self):
        return self.env["q2c.event"].search([("system_id", "=", self.paypal.id)])

    def _deliver(self, *events, expect="done"):
        """Post each event and run its job; each must end `expect`; returns the events."""
        delivered = self.env["q2c.event"]
        for event in events:
            response = self._post_paypal(event)
            self.assertEqual(response.status_code, 200, response.text)
            stored = self._paypal_events().filtered(lambda e, i=event["id"]: e.external_id == i)
            if stored.job_uuid and stored.state == "queued":
                Q2cCase._perform_job(self, stored.job_uuid)
            self.env.invalidate_all()
            self.assertEqual(stored.state, expect, f"{event['event_type']}: {stored.error}")
            delivered |= stored
        return delivered

    # --- PayPal events, trimmed to what q2c reads (docs/saas-specs.md 4.2) ---------------

    def _event(self, event_type, resource, resource_type):
        return {
            "id": f"WH-TEST{next(_ids):04d}-{uuid.uuid4().hex[:8].upper()}",
            "event_version": "1.0",
            "create_time": transmission_time(),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": event_type,
            "resource": resource,
        }

    def _money(self, value, currency=None):
        return {"currency_code": currency or self.currency.name, "value": f"{value:.2f}"}

    def _capture(self, capture_id, amount, fee=None, invoice_id=None, custom_id=None, **extra):
        resource = {
            "id": capture_id,
            "status": "COMPLETED",
            "amount": self._money(amount, extra.pop("currency", None)),
            "final_capture": True,
            "create_time": transmission_time(),
            **extra,
        }
        if invoice_id:
            resource["invoice_id"] = invoice_id
        if custom_id:
            resource["custom_id"] = custom_id
        if fee is not None:
            resource["seller_receivable_breakdown"] = {
                "gross_amount": resource["amount"],
                "paypal_fee": self._money(fee, resource["amount"]["currency_code"]),
                "net_amount": self._money(amount - fee, resource["amount"]["currency_code"]),
            }
        return resource

    def _capture_completed(self, capture_id, amount, fee=None, invoice_id=None, **extra):
        return self._event(
            "PAYMENT.CAPTURE.COMPLETED",
            self._capture(capture_id, amount, fee, invoice_id, **extra),
            "capture",
        )

    def _refunded(self, capture_id, refund_id, amount, total):
        return self._event(
            "PAYMENT.CAPTURE.REFUNDED",
            {
                "id": refund_id,
                "status": "COMPLETED",
                "amount": self._money(amount),
                "seller_payable_breakdown": {
                    "gross_amount": self._money(amount),
                    "net_amount": self._money(amount),
                    "total_refunded_amount": self._money(total),
                },
                "links": [
                    {
                        "href": f"https://api-m.paypal.com/v2/payments/refunds/{refund_id}",
                        "rel": "self",
                        "method": "GET",
                    },
                    {
                        "href": f"https://api-m.paypal.com/v2/payments/captures/{capture_id}",
                        "rel": "up",
                        "method": "GET",
                    },
                ],
            },
            "refund",
        )

    def _dispute(self, event_type, capture_id, dispute_id, amount, status="OPEN", outcome=None):
        resource = {
            "dispute_id": dispute_id,
            "create_time": transmission_time(),
            "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
            "status": status,
            "dispute_amount": self._money(amount),
            "disputed_transactions": [{"seller_transaction_id": capture_id}],
            "dispute_life_cycle_stage": "CHARGEBACK",
        }
        if outcome:
            resource["dispute_outcome"] = {"outcome_code": outcome}
        return self._event(event_type, resource, "dispute")

    def _settlements(self, **domain):
        return self.env["q2c.payment.settlement"].search(
            [("system_id", "=", self.paypal.id)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def _seen(self, method, path_start):
        return [
            r
            for r in self.stand_in.seen
            if r["method"] == method and r["path"].startswith(path_start)
        ]
