from odoo.addons.q2c_base.tests.common import Q2cCase
from odoo.addons.q2c_hubspot.tests.common import HubSpotCase, crm_data
from odoo.tests import tagged

from .common import fake_hubspot_companies

PROPERTY = "q2c_account_standing"


@tagged("post_install", "-at_install")
class TestHubSpotStanding(HubSpotCase):
    """The account standing written back to the HubSpot company that owns the customer
    (docs/connectors/hubspot.md, Account standing), through a job per change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hubspot.write({"standing_write_back": True, "outbound_max_tries": 1})
        cls.customer = cls.env["res.partner"].create(
            {"name": "Initech Systems", "is_company": True}
        )
        # As provisioning binds a deal's company: object type `account`, HubSpot company id.
        cls.env["q2c.external.ref"]._bind(cls.hubspot, "account", "501", cls.customer)

    def _jobs(self):
        return self.env["queue.job"].search(
            [("func_string", "like", f"res.partner({self.customer.id},)._q2c_push_standing(")],
            order="id",
        )

    def _run(self, job):
        Q2cCase._perform_job(self, job.uuid)
        return job

    def _patches(self, seen):
        return [
            (call["path"], call["body"]["properties"])
            for call in seen
            if call["method"] == "PATCH"
        ]

    def test_payment_failure_reaches_hubspot_and_recovery_sets_it_back(self):
        data = crm_data()
        with fake_hubspot_companies(data) as (url, seen):
            self.hubspot.base_url = url
            self.customer._q2c_payment_failed("card declined", self.manager)
            job = self._jobs()
            self.assertEqual(len(job), 1)
            self.assertEqual(job.user_id, self.hubspot.user_id, "runs as HubSpot's user")
            self.assertEqual(self.customer.q2c_standing_crm_state, "pending")
            self.assertEqual(self._run(job).state, "done")
            self.assertEqual(data["companies"]["501"][PROPERTY], "payment_failed")
            self.assertEqual(self.customer.q2c_standing_crm_state, "sent")
            self.assertTrue(self.customer.q2c_standing_crm_date)

            self.customer._q2c_payment_recovered()
            recovery = self._jobs() - job
            self.assertEqual(self._run(recovery).state, "done")
            self.assertEqual(data["companies"]["501"][PROPERTY], "good")
            self.assertEqual(
                self._patches(seen),
                [
                    ("/crm/v3/objects/companies/501", {PROPERTY: "payment_failed"}),
                    ("/crm/v3/objects/companies/501", {PROPERTY: "good"}),
                ],
            )

    def test_two_quick_changes_end_with_the_last(self):
        """On Hold, then Suspended at once: the jobs run in reverse order, and each sends
        the standing current when it runs, so HubSpot ends Suspended either way."""
        data = crm_data()
        with fake_hubspot_companies(data) as (url, seen):
            self.hubspot.base_url = url
            self.customer.q2c_standing = "on_hold"
            self.customer.q2c_standing = "suspended"
            first, second = self._jobs()
            self._run(second)
            self._run(first)
            self.assertEqual(data["companies"]["501"][PROPERTY], "suspended")
            self.assertEqual(
                [props[PROPERTY] for _path, props in self._patches(seen)],
                ["suspended", "suspended"],
            )

    def test_hubspot_refusal_is_visible_and_a_transient_error_retries(self):
        """A 503 (transient): the job is retried later, the customer still shows Being Sent.
        Then a 400 (the property does not exist in HubSpot): the job fails with HubSpot's
        answer, and the customer shows Update Failed with that reason."""
        unavailable = (503, {}, {"status": "error", "message": "Service Unavailable"})
        invalid = (
            400,
            {},
            {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": f'Property values were not valid: "{PROPERTY}" does not exist',
            },
        )
        with fake_hubspot_companies(crm_data(), before=[unavailable, invalid]) as (url, _seen):
            self.hubspot.base_url = url
            self.customer.q2c_standing = "on_hold"
            job = self._run(self._jobs())
            self.assertEqual((job.state, job.retry), ("pending", 1))
            self.assertEqual(self.customer.q2c_standing_crm_state, "pending")
            self._run(job)
        self.assertEqual(job.state, "failed")
        self.assertIn("HTTP 400", job.exc_message)
        self.assertEqual(self.customer.q2c_standing_crm_state, "failed")
        self.assertIn("HubSpot (test)", self.customer.q2c_standing_crm_error)
        self.assertIn("does not exist", self.customer.q2c_standing_crm_error)

    def test_nothing_enqueued_without_write_back_or_account(self):
        self.hubspot.standing_write_back = False
        self.customer.q2c_standing = "on_hold"
        other = self.env["res.partner"].create({"name": "Unbound Co", "is_company": True})
        self.hubspot.standing_write_back = True
        other.q2c_standing = "on_hold"
        self.assertFalse(self._jobs())
        self.assertFalse(
            self.env["queue.job"].search([("func_string", "like", f"res.partner({other.id},)")])
        )
        self.assertFalse(self.customer.q2c_standing_crm_state)
