import time
from urllib.parse import parse_qs, urlsplit

from odoo.addons.q2c_base.tests.common import FakeApi, Q2cCase, serve_locally
from odoo.tests import tagged

from .common import StripeCase

PAGE_JOB = "_q2c_load_subscription_page"


class StripeSubscriptions(FakeApi):
    """A stand-in for Stripe's `GET /v1/subscriptions` (docs/saas-specs.md 1.8): `limit`,
    `starting_after`, `has_more`; `status=all` needed for cancelled ones; `expand[]=
    data.customer` replaces each customer id by the customer. 429 with Retry-After for the
    page after an id listed in `throttle`; 401 for another key than the test's."""

    subscriptions = []
    customers = {}
    page_size = 100
    throttle = {}
    seen = []

    def do_GET(self):
        cls = type(self)
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        cls.seen.append({"path": url.path, "query": query})
        if self.headers.get("Authorization") != "Bearer sk_test_123":
            return self._send(401, {"error": {"type": "invalid_request_error"}})
        if url.path != "/v1/subscriptions":
            return self._send(404, {"error": {"type": "invalid_request_error"}})
        after = query.get("starting_after")
        waits = cls.throttle.get(after or "")
        if waits:
            return self._send(
                429, {"error": {"type": "rate_limit_error"}}, {"Retry-After": str(waits.pop(0))}
            )
        rows = [
            s
            for s in cls.subscriptions
            if query.get("status") == "all" or s["status"] != "canceled"
        ]
        start = [s["id"] for s in rows].index(after) + 1 if after else 0
        size = min(int(query.get("limit") or 10), cls.page_size)
        page = [dict(s) for s in rows[start : start + size]]
        if query.get("expand[]") == "data.customer":
            for sub in page:
                sub["customer"] = cls.customers[sub["customer"]]
        body = {"object": "list", "data": page, "has_more": start + size < len(rows)}
        return self._send(200, body)


@tagged("post_install", "-at_install")
class TestStripeLoad(StripeCase):
    """Load Existing Subscriptions for Stripe Billing: pages read with `starting_after`
    through q2c_stripe's API client, one real job per page, each subscription mirrored once."""

    def setUp(self):
        super().setUp()
        self.stripe_system.payment_invoicing = "gateway"
        self.customer.email = "ap@acme.example"
        self.api = type(
            "Stripe",
            (StripeSubscriptions,),
            {
                "subscriptions": [],
                "customers": {
                    "cus_acme": {
                        "id": "cus_acme",
                        "object": "customer",
                        "email": "ap@acme.example",
                    },
                    "cus_new": {"id": "cus_new", "object": "customer", "email": "new@co.example"},
                },
                "page_size": 2,
                "throttle": {},
                "seen": [],
            },
        )
        server = serve_locally(self.api)
        self.stripe_system.base_url = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)

    def _sub(self, sid, customer="cus_acme", status="active", amount=10000):
        now = int(time.time())
        obj = {
            "id": sid,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "currency": self.currency.name.lower(),
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": f"si_{sid}",
                        "price": {
                            "id": "price_pro",
                            "lookup_key": "pro-monthly",
                            "unit_amount": amount,
                            "recurring": {"interval": "month", "interval_count": 1},
                        },
                        "quantity": 1,
                        "current_period_start": now,
                        "current_period_end": now + 30 * 86400,
                    }
                ],
            },
        }
        if status == "canceled":
            obj["canceled_at"] = now - 86400
        self.api.subscriptions.append(obj)
        return obj

    def _page_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "=", PAGE_JOB), ("state", "=", "pending")], order="id"
        )

    def _run_pages(self):
        for _round in range(10):
            jobs = self._page_jobs()
            if not jobs:
                return
            for job in jobs:
                Q2cCase._perform_job(self, job.uuid)

    def _load(self):
        self.stripe_system.with_user(self.finance_user).action_q2c_load_subscriptions()

    def _subscriptions(self):
        return self.env["q2c.subscription"].search([("system_id", "=", self.stripe_system.id)])

    def _afters(self):
        return [r["query"].get("starting_after") for r in self.api.seen]

    def test_two_pages_then_a_rerun(self):
        """sub_1 (100.00 a month) and sub_2 (cancelled, listed only with status=all) on
        page 1, sub_3 of a customer Odoo does not know on page 2: 2 + 1 = 3 read, sub_1
        and sub_2 mirrored, sub_3 waits as a possible duplicate. A rerun after sub_1 went to
        250.00 a month creates nothing and updates its MRR to 250.00."""
        self._sub("sub_1")
        self._sub("sub_2", status="canceled")
        self._sub("sub_3", "cus_new")
        self._load()
        self._run_pages()
        subs = self._subscriptions()
        self.assertEqual(sorted(subs.mapped("external_id")), ["sub_1", "sub_2"])
        self.assertEqual(set(subs.partner_id), {self.customer})
        sub_2 = subs.filtered(lambda s: s.external_id == "sub_2")
        self.assertEqual((sub_2.status, len(sub_2.activity_ids)), ("cancelled", 0))
        held = self._stripe_events().filtered(lambda e: e.state == "dead")
        exception = self.env["q2c.exception"].search([("event_id", "=", held.id)])
        self.assertEqual((exception.kind, exception.external_object_id), ("duplicate", "cus_new"))
        system = self.stripe_system
        self.assertEqual(
            (system.subscription_load_state, system.subscription_load_count), ("done", 3)
        )
        self.assertEqual(self._afters(), [None, "sub_2"])
        self.assertEqual(
            {r["query"]["status"] for r in self.api.seen}, {"all"}, "cancelled ones asked for"
        )
        self.api.subscriptions[0]["items"]["data"][0]["price"]["unit_amount"] = 25000
        events = self._stripe_events()
        self._load()
        self._run_pages()
        self.assertEqual(self._subscriptions(), subs)
        self.assertEqual(len(self._stripe_events() - events), 1)
        self.assertAmount(subs.filtered(lambda s: s.external_id == "sub_1").mrr, 250.0)
        self.assertEqual(system.subscription_load_count, 3)

    def test_a_429_on_the_second_page_retries_that_page_only(self):
        """Page 2 first answers 429 with Retry-After 60: page 1's two subscriptions stay
        applied, page 2's job is postponed, then reads sub_3: 3 read, page 1 read once."""
        for sid in ("sub_1", "sub_2", "sub_3"):
            self._sub(sid)
        self.api.throttle = {"sub_2": [60]}
        self._load()
        [first] = self._page_jobs()
        Q2cCase._perform_job(self, first.uuid)
        [second] = self._page_jobs()
        Q2cCase._perform_job(self, second.uuid)
        self.assertEqual((second.state, second.retry), ("pending", 1))
        self.assertEqual(len(self._subscriptions()), 2)
        self.assertEqual(self.stripe_system.subscription_load_count, 2)
        Q2cCase._perform_job(self, second.uuid)
        self.assertEqual(second.state, "done")
        self.assertEqual(len(self._subscriptions()), 3)
        self.assertEqual(
            (
                self.stripe_system.subscription_load_state,
                self.stripe_system.subscription_load_count,
            ),
            ("done", 3),
        )
        self.assertEqual(self._afters(), [None, "sub_2", "sub_2"])
