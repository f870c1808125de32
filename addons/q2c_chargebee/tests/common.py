import base64
import itertools
import json
import time
from urllib.parse import parse_qs, urlsplit

from odoo import Command
from odoo.addons.q2c_base.tests.common import FakeApi, Q2cCase, serve_locally
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.addons.q2c_chargebee import auth
from odoo.tests import HttpCase, new_test_user, tagged

USERNAME = "webhook_user"
PASSWORD = "secret_pass"
API_KEY = "test_cb_key"
_ids = itertools.count(1)


class FakeChargebee(FakeApi):
    """A stand-in Chargebee site speaking API v2 (docs/saas-specs.md 4.1): events, customers,
    subscriptions and invoices by id (`{"event": {...}}`), invoice lists paged by `limit` and
    `offset` (`next_offset`) answering 429 with Retry-After while `throttle` holds waits, 401
    for any other key than the test's."""

    events = {}
    customers = {}
    subscriptions = {}
    invoices = []
    page_size = 100
    throttle = []
    # Answers 429 with this Retry-After to the subscription list page at an offset ("" the
    # first page), once per value popped.
    list_throttle = {}
    seen = []

    def do_GET(self):
        cls = type(self)
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        cls.seen.append({"path": url.path, "query": query, "headers": dict(self.headers)})
        expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._send(401, {"api_error_code": "api_authentication_failed"})
        parts = url.path.split("/")[3:]  # after /api/v2
        if parts in (["invoices"], ["subscriptions"]):
            if parts == ["invoices"]:
                waits, lister = cls.throttle, self._list_invoices
            else:
                waits = cls.list_throttle.get(query.get("offset") or "")
                lister = self._list_subscriptions
            if waits:
                return self._send(
                    429,
                    {"api_error_code": "api_request_limit_exceeded", "message": "slow down"},
                    {"Retry-After": str(waits.pop(0))},
                )
            return lister(query)
        if parts == ["events"]:
            return self._send(200, {"list": []})
        if len(parts) == 2:
            store, key = {
                "events": (cls.events, "event"),
                "customers": (cls.customers, "customer"),
                "subscriptions": (cls.subscriptions, "subscription"),
                "invoices": ({inv["id"]: inv for inv in cls.invoices}, "invoice"),
            }.get(parts[0], ({}, None))
            if parts[1] in store:
                body = {key: store[parts[1]]}
                if key == "subscription":
                    customer_id = store[parts[1]].get("customer_id")
                    body["customer"] = cls.customers.get(customer_id)
                return self._send(200, body)
        return self._send(404, {"api_error_code": "resource_not_found", "message": "no"})

    def _list_subscriptions(self, query):
        """GET /api/v2/subscriptions: each row the subscription and its customer."""
        cls = type(self)
        rows = list(cls.subscriptions.values())
        start = int(query.get("offset") or 0)
        size = min(int(query.get("limit") or 100), cls.page_size)
        body = {
            "list": [
                {"subscription": sub, "customer": cls.customers.get(sub.get("customer_id"))}
                for sub in rows[start : start + size]
            ]
        }
        if start + size < len(rows):
            body["next_offset"] = str(start + size)
        return self._send(200, body)

    def _list_invoices(self, query):
        cls = type(self)
        wanted = query.get("subscription_id[is]")
        statuses = json.loads(query.get("status[in]") or "[]")
        rows = [
            inv
            for inv in cls.invoices
            if inv.get("subscription_id") == wanted and (not statuses or inv["status"] in statuses)
        ]
        start = int(query.get("offset") or 0)
        size = min(int(query.get("limit") or 100), cls.page_size)
        page = rows[start : start + size]
        body = {"list": [{"invoice": inv} for inv in page]}
        if start + size < len(rows):
            body["next_offset"] = str(start + size)
        return self._send(200, body)


@tagged("post_install", "-at_install")
class ChargebeeCase(Q2cBillingCase, HttpCase):
    """A company with a chart of accounts (q2c_billing's set-up), a Chargebee system in which
    Chargebee invoices, its integration user, a stand-in Chargebee site, and helpers that
    post events with HTTP Basic through Odoo's HTTP server and run their jobs as queue_job's
    runner does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.cb_user = new_test_user(
            cls.env,
            login="q2c_cb_int",
            groups="base.group_user,base.group_partner_manager,account.group_account_invoice,"
            "q2c_base.group_integration_user",
            **company,
        )
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.cb_system = cls.env["q2c.system"].create(
            {
                "name": "Chargebee (test)",
                "system_type": "chargebee",
                "user_id": cls.cb_user.id,
                "company_id": cls.company.id,
                "chargebee_site": "acme-test",
                "chargebee_webhook_username": USERNAME,
                "api_token": API_KEY,
                "payment_invoicing": "gateway",
                "payment_journal_id": cls.bank_journal.id,
                "payment_activity_user_id": cls.finance_user.id,
                "outbound_max_tries": 3,
            }
        )
        cls.cb_system.chargebee_webhook_password = PASSWORD
        cls.customer.email = "ap@acme.example"
        cls.cur = cls.currency.name

    def setUp(self):
        super().setUp()
        self.api = type(
            "Site",
            (FakeChargebee,),
            {
                "events": {},
                "customers": {},
                "subscriptions": {},
                "invoices": [],
                "throttle": [],
                "list_throttle": {},
                "seen": [],
            },
        )
        server = serve_locally(self.api)
        self.cb_system.base_url = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)

    # --- posting -----------------------------------------------------------------------------

    def _post_cb(self, event, username=USERNAME, password=PASSWORD, header=None):
        payload = event if isinstance(event, str | bytes) else json.dumps(event)
        if isinstance(payload, str):
            payload = payload.encode()
        headers = {"Content-Type": "application/json"}
        if header is None:
            header = auth.header(username, password)
        if header:
            headers["Authorization"] = header
        return self.url_open(self._cb_url(), data=payload, headers=headers)

    def _cb_url(self):
        return f"/q2c/webhook/chargebee/{self.cb_system.inbound_key}"

    def _cb_events(self):
        return self.env["q2c.event"].search([("system_id", "=", self.cb_system.id)])

    def _deliver(self, *events, expect="done", publish=True):
        """Post each event (known to the stand-in site: Chargebee keeps what it sends) and
        run its job; each must end `expect`; returns the stored events."""
        delivered = self.env["q2c.event"]
        for event in events:
            if publish:
                self.api.events[event["id"]] = event
            response = self._post_cb(event)
            self.assertEqual(response.status_code, 200, response.text)
            stored = self._cb_events().filtered(lambda e, i=event["id"]: e.external_id == i)
            self._run(stored)
            self.assertEqual(stored.state, expect, f"{event['event_type']}: {stored.error}")
            delivered |= stored
        return delivered

    def _run(self, events):
        self.env.invalidate_all()
        for event in events:
            if event.job_uuid and event.state in ("queued", "received"):
                Q2cCase._perform_job(self, event.job_uuid)
        self.env.invalidate_all()

    # --- Chargebee objects (docs/saas-specs.md 4.1, trimmed to what q2c reads) -------------

    def _event(self, event_type, content, event_id=None, occurred_at=None):
        return {
            "id": event_id or f"ev_test_{next(_ids)}",
            "occurred_at": occurred_at or int(time.time()),
            "source": "scheduled_job",
            "object": "event",
            "api_version": "v2",
            "event_type": event_type,
            "webhook_status": "scheduled",
            "content": content,
        }

    def _sub_event(self, event_type, subscription, customer=None):
        content = {"subscription": subscription}
        if customer:
            content["customer"] = customer
        return self._event(event_type, content)

    def _customer_obj(self, cid="cust_acme", email="ap@acme.example", company="Acme GmbH"):
        obj = {"id": cid, "email": email, "company": company, "object": "customer"}
        self.api.customers[cid] = obj
        return obj

    def _subscription_obj(self, sid="sub_1", cid="cust_acme", status="active", **extra):
        now = int(time.time())
        obj = {
            "id": sid,
            "object": "subscription",
            "customer_id": cid,
            "status": status,
            "currency_code": self.cur,
            "billing_period": 1,
            "billing_period_unit": "month",
            "current_term_start": now,
            "current_term_end": now + 30 * 86400,
            "subscription_items": [
                {
                    "item_price_id": "pro-monthly",
                    "item_type": "plan",
                    "quantity": 1,
                    "unit_price": 10000,
                    "amount": 10000,
                }
            ],
            **extra,
        }
        self.api.subscriptions[sid] = obj
        return obj

    def _invoice_obj(self, inv_id="1042", sid="sub_1", cid="cust_acme", total=10000, **extra):
        return {
            "id": inv_id,
            "object": "invoice",
            "customer_id": cid,
            "subscription_id": sid,
            "status": "payment_due",
            "currency_code": self.cur,
            "date": int(time.time()),
            "due_date": int(time.time()) + 14 * 86400,
            "total": total,
            "tax": 0,
            "amount_due": total,
            "line_items": [
                {
                    "id": f"li_{inv_id}",
                    "entity_type": "plan_item_price",
                    "entity_id": "pro-monthly",
                    "description": "Pro Monthly",
                    "quantity": 1,
                    "unit_amount": total,
                    "amount": total,
                }
            ],
            **extra,
        }

    def _payment_event(self, txn_id, invoice_obj, amount, customer=None):
        txn = {
            "id": txn_id,
            "object": "transaction",
            "customer_id": invoice_obj["customer_id"],
            "subscription_id": invoice_obj.get("subscription_id"),
            "type": "payment",
            "status": "success",
            "amount": amount,
            "currency_code": self.cur,
            "date": int(time.time()),
            "gateway": "stripe",
            "linked_invoices": [{"invoice_id": invoice_obj["id"], "applied_amount": amount}],
        }
        paid = {**invoice_obj, "status": "paid", "amount_paid": amount, "amount_due": 0}
        content = {"transaction": txn, "invoice": paid}
        if customer:
            content["customer"] = customer
        return self._event("payment_succeeded", content)

    def _credit_note_obj(self, cn_id, invoice_obj, total, kind="refundable"):
        return {
            "id": cn_id,
            "object": "credit_note",
            "customer_id": invoice_obj["customer_id"],
            "subscription_id": invoice_obj.get("subscription_id"),
            "reference_invoice_id": invoice_obj["id"],
            "type": kind,
            "status": "refund_due" if kind == "refundable" else "adjusted",
            "currency_code": self.cur,
            "date": int(time.time()),
            "total": total,
            "tax": 0,
            "line_items": [
                {
                    "id": f"li_{cn_id}",
                    "description": "Pro Monthly (credit)",
                    "quantity": 1,
                    "unit_amount": total,
                    "amount": total,
                }
            ],
        }

    def _refund_event(self, txn_id, payment_txn_id, amount, note):
        txn = {
            "id": txn_id,
            "object": "transaction",
            "customer_id": note["customer_id"],
            "type": "refund",
            "status": "success",
            "amount": amount,
            "currency_code": self.cur,
            "date": int(time.time()),
            "reference_transaction_id": payment_txn_id,
            "linked_credit_notes": [{"cn_id": note["id"], "applied_amount": amount}],
        }
        return self._event("payment_refunded", {"transaction": txn, "credit_note": note})

    # --- the books ---------------------------------------------------------------------------

    def _mirrored(self, object_type, external_id):
        return self.env["q2c.external.ref"]._find(self.cb_system, object_type, external_id)

    def _settlements(self, **domain):
        return self.env["q2c.payment.settlement"].search(
            [("system_id", "=", self.cb_system.id)]
            + [(name, "=", value) for name, value in domain.items()]
        )

    def assertAmount(self, got, expected, msg=None):
        self.assertEqual(
            self.currency.compare_amounts(got, expected), 0, msg or f"{got} != {expected}"
        )
