from odoo import fields
from odoo.addons.q2c_base.exceptions import TransientError
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SalesforceCase, fake_salesforce, message, opportunity

OPP = "006000000000004AAA"
CONCURRENT = [
    {"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]
DAILY = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


@tagged("post_install", "-at_install")
class TestSalesforceRest(SalesforceCase):
    """The REST side of provisioning: limits, owners and products."""

    def _records(self, **changes):
        lines = ["Service manager", "Onboarding"]
        record = opportunity(
            OPP, "Initrode managed services", "001000000000004AAA", "Initrode Ltd", 64000.0, lines
        )
        record.update(changes)
        return {OPP: record}

    def _provision(self, records, before=(), notification="04l000000000041AAA"):
        with fake_salesforce(records, before=before) as (url, fake):
            self.salesforce.base_url = url
            self._post_soap(message([(notification, OPP, "64000.0")]))
            event = self._process_all()
        return event, fake

    def _query_log(self, event):
        return self.env["q2c.outbound.log"].search(
            [("event_id", "=", event.id), ("url", "like", "/query")], order="id"
        )

    def test_concurrent_request_limit_is_retried_with_back_off(self):
        event, fake = self._provision(self._records(), before=[(403, {}, CONCURRENT)])
        self.assertEqual(event.state, "done", event.error)
        log = self._query_log(event)
        self.assertEqual(log.mapped("status_code"), [403, 200])
        self.assertEqual(log.mapped("attempt"), [1, 2])
        self.assertEqual(log[0].error, "HTTP 403")
        self.assertEqual([r["path"] for r in fake.seen].count("/services/data/v62.0/query"), 2)
        self.assertTrue(self.env["q2c.external.ref"]._find(self.salesforce, "deal", OPP))

    def test_daily_request_limit_retries_the_event_in_an_hour(self):
        started = fields.Datetime.now()
        event, fake = self._provision(self._records(), before=[(403, {}, DAILY)])
        # Transient, not refused: no inline retry (it would not clear in seconds); the job
        # comes back in an hour.
        self.assertEqual(event.state, "failed")
        self.assertIn("HTTP 403", event.error)
        self.assertEqual([r["path"] for r in fake.seen].count("/services/data/v62.0/query"), 1)
        job = self._job(event)
        self.assertEqual(job.state, "pending")
        self.assertGreaterEqual((job.eta - started).total_seconds(), 3500)
        self.assertFalse(self.env["q2c.exception"].search([("event_id", "=", event.id)]))
        # The allowance is spent for today: the next event waits without calling.
        waiting, fake = self._provision(self._records(), notification="04l000000000043AAA")
        self.assertEqual(waiting.state, "failed")
        self.assertIn("API usage", waiting.error)
        self.assertFalse([r for r in fake.seen if r["path"].endswith("/query")])

    def test_other_403_is_a_refusal(self):
        refused = [
            {
                "message": "insufficient access rights on object id",
                "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY",
            }
        ]
        event, fake = self._provision(self._records(), before=[(403, {}, refused)])
        self.assertEqual(event.state, "dead")
        self.assertIn("INSUFFICIENT_ACCESS_OR_READONLY", event.error)
        self.assertEqual([r["path"] for r in fake.seen].count("/services/data/v62.0/query"), 1)

    def test_owner_matched_by_owner_email(self):
        event, fake = self._provision(self._records())
        self.assertEqual(event.state, "done", event.error)
        soql = next(r["query"]["q"][0] for r in fake.seen if r["path"].endswith("/query"))
        self.assertIn("Owner.Email", soql)
        contract = self.env["q2c.external.ref"]._find(self.salesforce, "deal", OPP)
        self.assertEqual(contract.user_id, self.deal_owner)
        self.assertEqual(contract.project_ids.user_id, self.deal_owner)
        self.assertEqual(
            self.env["q2c.external.ref"]._find(self.salesforce, "owner", "005000000000001AAA"),
            self.deal_owner,
        )

    def test_owner_without_odoo_user_is_named(self):
        records = self._records(Owner={"Email": "temp.rep@globex-partner.example"})
        event, _fake = self._provision(records)
        self.assertEqual(event.state, "dead")
        self.assertIn("owner temp.rep@globex-partner.example has no Odoo user", event.error)
        self.assertFalse(self.env["q2c.external.ref"]._find(self.salesforce, "deal", OPP))

    def test_products_mapped_to_roles_become_a_contract_rate_card(self):
        role = self.env["hr.job"].create({"name": "Service manager (q2c test)"})
        product = self.env["product.product"].create(
            {
                "name": "Service management",
                "type": "service",
                "q2c_role_id": role.id,
                "uom_id": self.env.ref("uom.product_uom_day").id,
                "uom_po_id": self.env.ref("uom.product_uom_day").id,
            }
        )
        records = self._records()
        first_line = records[OPP]["OpportunityLineItems"]["records"][0]
        first_line.update({"UnitPrice": 1100.0, "Quantity": 20.0, "TotalPrice": 22000.0})
        # Bound by the Product2 id: the product's code in Salesforce is not Odoo's.
        self.env["q2c.external.ref"]._bind(
            self.salesforce, "product", first_line["Product2Id"], product
        )
        event, fake = self._provision(records)
        self.assertEqual(event.state, "done", event.error)
        soql = next(r for r in fake.seen if r["path"].endswith("/query"))
        self.assertIn("Product2Id", soql["query"]["q"][0])
        contract = self.env["q2c.external.ref"]._find(self.salesforce, "deal", OPP)
        line = contract.rate_card_ids.line_ids
        self.assertEqual((line.role_id, line.rate, line.unit), (role, 1100.0, "day"))
        self.assertEqual((line.product_id, str(line.date_from)), (product, "2026-12-01"))
        # The same opportunity notified again: nothing new.
        cards = self.env["q2c.rate.card"].search_count([])
        again, _fake = self._provision(records, notification="04l000000000042AAA")
        self.assertEqual(again.state, "done", again.error)
        self.assertEqual(self.env["q2c.rate.card"].search_count([]), cards)

    def test_request_limit_is_a_transient_error_with_its_vendor_code(self):
        with fake_salesforce({}, before=[(403, {}, DAILY)]) as (url, _fake):
            self.salesforce.base_url = url
            with self.assertRaises(TransientError) as caught:
                self.salesforce._salesforce_rest("/services/data/v62.0/limits")
        error = caught.exception
        self.assertEqual((error.status, error.vendor_code), (403, "REQUEST_LIMIT_EXCEEDED"))
        self.assertEqual(error.retry_after, 3600.0)
        # A limit is not a refusal of the credentials.
        self.assertFalse(self.salesforce._credentials_refused(error))

    def test_test_connection_names_the_refused_credentials(self):
        self.salesforce.api_password = "not-the-consumer-secret"
        with fake_salesforce({}) as (url, fake):
            self.salesforce.base_url = url
            with self.assertRaisesRegex(UserError, "HTTP 400") as caught:
                self.salesforce.with_user(self.manager).action_test_connection()
        self.assertIn("Consumer Key and Consumer Secret", str(caught.exception))
        self.assertEqual(caught.exception.__cause__.vendor_code, "invalid_client")
        self.assertEqual([r["path"] for r in fake.seen], ["/services/oauth2/token"])

    def test_a_new_api_base_url_gets_its_own_token(self):
        """The token (and its instance URL) is kept per API Base URL: after the URL changes,
        the next call asks the new org for a token and calls it, not the old instance. With
        q2c_paypal installed after this addon, PayPal's `_token_key` on q2c.system used to
        replace Salesforce's, keying the token without the URL: the second call went to the
        first org's instance (here a server already stopped)."""
        limits = "/services/data/v62.0/limits"
        with fake_salesforce({}) as (url, first):
            self.salesforce.base_url = url
            self.salesforce._salesforce_rest(limits)
        with fake_salesforce({}) as (url, second):
            self.salesforce.base_url = url
            answer = self.salesforce._salesforce_rest(limits)
        self.assertEqual(answer["DailyApiRequests"]["Remaining"], 14982)
        self.assertEqual([r["path"] for r in first.seen], ["/services/oauth2/token", limits])
        self.assertEqual([r["path"] for r in second.seen], ["/services/oauth2/token", limits])
