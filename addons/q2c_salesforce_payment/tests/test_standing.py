import json

from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.addons.q2c_salesforce.tests.common import SalesforceCase
from odoo.tests import tagged

from .common import fake_salesforce_accounts

ACCOUNT = "0015g00000AbCdEAAZ"
FIELD = "Q2C_Account_Standing__c"


@tagged("post_install", "-at_install")
class TestSalesforceStanding(SalesforceCase):
    """The account standing written back to the Salesforce Account that owns the customer
    (docs/connectors/salesforce.md, Account standing), through a job per change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesforce.write({"standing_write_back": True, "outbound_max_tries": 1})
        cls.customer = cls.env["res.partner"].create({"name": "Globex", "is_company": True})
        # As provisioning binds an opportunity's Account: object type `account`.
        cls.env["q2c.external.ref"]._bind(cls.salesforce, "account", ACCOUNT, cls.customer)

    def _jobs(self):
        return self.env["queue.job"].search(
            [("func_string", "like", f"res.partner({self.customer.id},)._q2c_push_standing(")],
            order="id",
        )

    def _run_new_job(self, done):
        job = self._jobs() - done
        self.assertEqual(len(job), 1)
        Q2cCase._perform_job(self, job.uuid)
        return job

    def test_payment_failure_reaches_salesforce_and_recovery_sets_it_back(self):
        records = {ACCOUNT: {"Name": "Globex"}}
        with fake_salesforce_accounts(records) as (url, fake):
            self.salesforce.base_url = url
            self.customer._q2c_payment_failed("card declined", self.manager)
            failed = self._run_new_job(self.env["queue.job"])
            self.assertEqual(failed.state, "done")
            self.assertEqual(records[ACCOUNT][FIELD], "payment_failed")
            self.assertEqual(self.customer.q2c_standing_crm_state, "sent")
            self.customer._q2c_payment_recovered()
            self.assertEqual(self._run_new_job(failed).state, "done")
            self.assertEqual(records[ACCOUNT][FIELD], "good")
            patches = [
                (call["path"], json.loads(call["body"]))
                for call in fake.seen
                if call["method"] == "PATCH"
            ]
        path = f"/services/data/v62.0/sobjects/Account/{ACCOUNT}"
        self.assertEqual(patches, [(path, {FIELD: "payment_failed"}), (path, {FIELD: "good"})])

    def test_unknown_account_is_visible(self):
        """The Account was deleted in Salesforce (404 NOT_FOUND): the job fails with the
        answer, the customer shows Update Failed with it."""
        with fake_salesforce_accounts({}) as (url, _fake):
            self.salesforce.base_url = url
            self.customer.q2c_standing = "suspended"
            job = self._run_new_job(self.env["queue.job"])
        self.assertEqual(job.state, "failed")
        self.assertEqual(self.customer.q2c_standing_crm_state, "failed")
        self.assertIn("Salesforce (test)", self.customer.q2c_standing_crm_error)
        self.assertIn("NOT_FOUND", self.customer.q2c_standing_crm_error)
