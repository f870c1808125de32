from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ChargebeeCase

PAGE_JOB = "_q2c_load_subscription_page"


@tagged("post_install", "-at_install")
class TestChargebeeLoad(ChargebeeCase):
    """Load Existing Subscriptions (set-up b): the stand-in site's GET /api/v2/subscriptions
    read page by page (limit and offset, API key as Basic username), one real job per page,
    each subscription mirrored once through the usual path."""

    def setUp(self):
        super().setUp()
        self.api.page_size = 2
        self._customer_obj()
        self._customer_obj("cust_new", "billing@newco.example", "NewCo Ltd")

    def _page_jobs(self):
        return self.env["queue.job"].search(
            [("method_name", "=", PAGE_JOB), ("state", "=", "pending")], order="id"
        )

    def _run_pages(self):
        """Run the page jobs as queue_job's runner does, each queuing the next."""
        for _round in range(10):
            jobs = self._page_jobs()
            if not jobs:
                return
            for job in jobs:
                Q2cCase._perform_job(self, job.uuid)

    def _why(self):
        """What the page jobs and the load's events say, for a failing assertion."""
        jobs = self.env["queue.job"].search([("method_name", "=", PAGE_JOB)])
        events = self._cb_events().filtered(lambda e: e.state != "done")
        return str(
            [(j.state, j.result, (j.exc_info or "")[-600:]) for j in jobs]
            + [(e.external_id, e.state, e.error) for e in events]
        )

    def _load(self):
        self.cb_system.with_user(self.finance_user).action_q2c_load_subscriptions()

    def _subscriptions(self):
        return self.env["q2c.subscription"].search([("system_id", "=", self.cb_system.id)])

    def _offsets(self):
        return [
            r["query"].get("offset") for r in self.api.seen if r["path"] == "/api/v2/subscriptions"
        ]

    def test_two_pages_then_a_rerun(self):
        """Three subscriptions at Chargebee, two a page: sub_1 (Acme, 100.00 a month), sub_2
        (Acme, cancelled before q2c knew it) on page 1, sub_3 (NewCo, a customer Odoo does
        not know) on page 2. The load reads 2 + 1 = 3: sub_1 and sub_2 mirrored (sub_2 with
        no activity: nothing of it is in the books), sub_3 waits as a possible duplicate.
        A rerun after sub_1 went to 200.00 a month creates nothing, stores one new event
        (sub_1's) and updates sub_1's MRR to 200.00."""
        self._subscription_obj("sub_1", updated_at=1_700_000_000)
        self._subscription_obj("sub_2", status="cancelled", cancelled_at=1_690_000_000)
        self._subscription_obj("sub_3", "cust_new")
        self._load()
        self._run_pages()
        subs = self._subscriptions()
        self.assertEqual(sorted(subs.mapped("external_id")), ["sub_1", "sub_2"], self._why())
        self.assertEqual(set(subs.partner_id), {self.customer})
        cancelled = subs.filtered(lambda s: s.external_id == "sub_2")
        self.assertEqual((cancelled.status, len(cancelled.activity_ids)), ("cancelled", 0))
        held = self._cb_events().filtered(lambda e: e.state == "dead")
        self.assertEqual(len(held), 1)
        exception = self.env["q2c.exception"].search([("event_id", "=", held.id)])
        self.assertEqual((exception.kind, exception.external_object_id), ("duplicate", "cust_new"))
        system = self.cb_system
        self.assertEqual(
            (system.subscription_load_state, system.subscription_load_count),
            ("done", 3),
        )
        self.assertEqual(system.subscription_load_pages, 2)
        self.assertTrue(system.subscription_load_done_at)
        self.assertEqual(self._offsets(), [None, "2"])
        events = self._cb_events()
        # The rerun: sub_1 now 200.00 a month.
        self.api.subscriptions["sub_1"]["subscription_items"][0].update(
            {"unit_price": 20000, "amount": 20000}
        )
        self.api.subscriptions["sub_1"]["updated_at"] = 1_700_000_100
        self._load()
        self._run_pages()
        self.assertEqual(self._subscriptions(), subs)
        self.assertEqual(len(self._cb_events() - events), 1)
        sub_1 = subs.filtered(lambda s: s.external_id == "sub_1")
        self.assertAmount(sub_1.mrr, 200.0)
        self.assertEqual(len(cancelled.activity_ids), 0)
        self.assertEqual((system.subscription_load_count, system.subscription_load_run), (3, 2))

    def test_a_429_on_the_second_page_retries_that_page_only(self):
        """sub_1 and sub_2 on page 1, sub_3 on page 2, which first answers 429 with
        Retry-After 60 (longer than a worker waits inline): page 1 is applied (2 read),
        page 2's job is postponed with nothing kept, then succeeds (3 read); page 1 was
        read once."""
        for sid in ("sub_1", "sub_2", "sub_3"):
            self._subscription_obj(sid)
        self.api.list_throttle = {"2": [60]}
        self._load()
        [first] = self._page_jobs()
        Q2cCase._perform_job(self, first.uuid)
        self.assertEqual(len(self._subscriptions()), 2, self._why())
        [second] = self._page_jobs()
        Q2cCase._perform_job(self, second.uuid)
        self.assertEqual((second.state, second.retry), ("pending", 1))
        self.assertEqual(self.cb_system.subscription_load_state, "running")
        self.assertEqual(self.cb_system.subscription_load_count, 2)
        self.assertEqual(len(self._subscriptions()), 2)
        Q2cCase._perform_job(self, second.uuid)
        self.assertEqual(second.state, "done")
        self.assertEqual(len(self._subscriptions()), 3)
        self.assertEqual(
            (self.cb_system.subscription_load_state, self.cb_system.subscription_load_count),
            ("done", 3),
        )
        self.assertEqual(self._offsets(), [None, "2", "2"])
        self.assertFalse(self._page_jobs())

    def test_only_finance_loads(self):
        """The integration user (and anyone but Finance or an administrator) may not."""
        with self.assertRaises(AccessError):
            self.cb_system.with_user(self.cb_user).action_q2c_load_subscriptions()
        self.assertFalse(self._page_jobs())
