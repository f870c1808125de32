from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CrmCase, apply_deal


@tagged("post_install", "-at_install")
class TestDuplicateDecision(CrmCase):
    """A possible duplicate customer is decided by a person (link, new, merge); the
    exception is resolved with the choice and the event replays itself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = new_test_user(
            cls.env,
            login="q2c_dup_operator",
            password="q2c_dup_operator",
            groups="base.group_user,q2c_base.group_integration_operator",
        )
        cls.existing = cls.env["res.partner"].create(
            {"name": "Totally Different Name", "is_company": True, "vat": "BE 0477.472.701"}
        )

    def _blocked(self, event_id="dup-1"):
        event = self._send(event_id, self._deal())
        self.assertEqual(event.state, "dead")
        exception = self.env["q2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(exception.kind, "duplicate")
        self.assertEqual(
            (exception.external_object_type, exception.external_object_id), ("account", "A-1")
        )
        self.assertIn(self.existing, exception.candidate_partner_ids)
        self.assertIn("decide there (link, create or merge)", event.error_summary)
        return event, exception

    def _decide(self, exception, user=None, **values):
        wizard = (
            self.env["q2c.duplicate.wizard"]
            .with_user(user or self.operator)
            .with_context(default_exception_id=exception.id)
            .create(values)
        )
        wizard.action_confirm()
        return wizard

    def _replayed(self, event):
        self.assertEqual(event.state, "queued", "the event replays itself after the choice")
        with self._handler("crm.deal", apply_deal):
            self._run_job_like_the_runner(event)
        self.assertEqual(event.state, "done", event.error)

    def test_link_to_the_existing_customer(self):
        event, exception = self._blocked()
        wizard = self._decide(exception, choice="link")
        self.assertEqual(wizard.partner_id, self.existing, "the possible match is proposed")
        self.assertEqual((exception.state, exception.decision), ("resolved", "link"))
        self.assertIn("Totally Different Name", exception.resolution)
        self._replayed(event)
        self.assertEqual(self._contract().partner_id, self.existing)
        refs = self.env["q2c.external.ref"]
        self.assertEqual(refs._find(self.system, "account", "A-1"), self.existing)

    def test_create_a_new_customer(self):
        event, exception = self._blocked()
        self._decide(exception, choice="new", note="a different company with a reused VAT")
        self.assertEqual(exception.decision, "new")
        self._replayed(event)
        partner = self._contract().partner_id
        self.assertNotEqual(partner, self.existing)
        self.assertEqual(partner.name, "Hooli XYZ")
        self.assertEqual(
            self.env["q2c.exception"].search_count([("event_id", "=", event.id)]),
            1,
            "not asked again",
        )

    def test_merge_the_existing_customers_then_link(self):
        twin = self.env["res.partner"].create(
            {"name": "Hooli XYZ Inc.", "is_company": True, "vat": "BE0477472701"}
        )
        event, exception = self._blocked()
        self.assertEqual(exception.candidate_partner_ids, self.existing | twin)
        with self.assertRaises(AccessError, msg="merging needs Contact Creation"):
            self._decide(exception, choice="merge", partner_id=twin.id)
        self.operator.groups_id |= self.env.ref("base.group_partner_manager")
        self._decide(exception, choice="merge", partner_id=twin.id)
        self.assertFalse(self.existing.exists(), "merged into the one kept")
        self.assertEqual(exception.decision, "merge")
        self._replayed(event)
        self.assertEqual(self._contract().partner_id, twin)

    def test_only_operators_decide_and_only_once(self):
        event, exception = self._blocked()
        with self.assertRaises(AccessError):
            self._decide(exception, user=self.employee, choice="link")
        self._decide(exception, choice="link")
        with self.assertRaises(UserError):
            self._decide(exception, choice="new")

    def test_link_through_the_ui(self):
        """The tour: an operator links the CRM account to the existing customer."""
        event, exception = self._blocked()
        self.start_tour(
            "/odoo/action-q2c_base.action_q2c_exception",
            "q2c_duplicate_link",
            login="q2c_dup_operator",
        )
        self.assertEqual((exception.state, exception.decision), ("resolved", "link"))
        self._replayed(event)
        self.assertEqual(self._contract().partner_id, self.existing)
