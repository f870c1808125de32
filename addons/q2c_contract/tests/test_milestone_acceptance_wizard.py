import base64

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form

from .common import Q2cContractCase


class TestMilestoneAcceptanceWizard(Q2cContractCase):
    """Recording an acceptance asks who accepted, when, what share and on what evidence
    (issue 13, item 9); the milestone's own acceptance does the rest."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._create_contract(
            name="C-310",
            billing_model="fixed_fee",
            original_value=10000.00,
            milestone_ids=[Command.create({"name": "M1 Discovery", "percent": 100})],
        )
        cls.contract.action_activate()
        cls.milestone = cls.contract.milestone_ids
        cls.milestone.action_submit()

    def _record(self, share, day, approver="Jane Doe, CIO", evidence=None, user=None):
        milestone = self.milestone.with_user(user or self.pm_user)
        action = milestone.action_open_acceptance_wizard()
        self.assertEqual(action["res_model"], "q2c.milestone.acceptance")
        wizard_env = self.env["q2c.milestone.acceptance"].with_user(user or self.pm_user)
        # The file name comes with the upload in the browser; Form cannot set an invisible field.
        wizard_env = wizard_env.with_context(
            **action["context"], default_evidence_name=evidence and "acceptance.pdf"
        )
        with Form(wizard_env) as form:
            form.client_approver = approver
            form.accepted_date = day
            form.accepted_share = share
            if evidence:
                form.evidence = base64.b64encode(evidence)
        return form.record.action_confirm()

    def test_partial_then_full_acceptance(self):
        self._record(40.0, "2025-05-02", evidence=b"%PDF-1.4 signed")
        milestone = self.milestone
        self.assertEqual(milestone.state, "partially_accepted")
        self.assertEqual(milestone.accepted_share, 40.0)
        self.assertEqual(str(milestone.accepted_date), "2025-05-02")
        self.assertEqual(milestone.client_approver, "Jane Doe, CIO")
        self.assertEqual(milestone.acceptance_evidence_name, "acceptance.pdf")
        self.assertEqual(milestone.acceptance_recorded_by_id, self.pm_user)
        self.assertAmount(milestone._get_billable_amount("2025-05-31"), 4000.00)
        # The wizard opens on the share accepted so far; the rest is accepted later.
        action = milestone.with_user(self.pm_user).action_open_acceptance_wizard()
        self.assertEqual(action["context"]["default_accepted_share"], 40.0)
        self._record(100.0, "2025-06-10")
        self.assertEqual(milestone.state, "accepted")
        self.assertEqual(milestone.acceptance_evidence_name, "acceptance.pdf")

    def test_a_lower_share_is_refused_by_the_milestone(self):
        self._record(60.0, "2025-05-02")
        with self.assertRefused(UserError, "only adds to it"):
            self._record(30.0, "2025-05-03", approver="Someone else")
        self.assertEqual(self.milestone.accepted_share, 60.0)
        self.assertEqual(self.milestone.client_approver, "Jane Doe, CIO")

    def test_not_offered_before_submission(self):
        self.milestone.action_reject()
        self.assertFalse(self.milestone.can_accept)
        with self.assertRefused(UserError, "must be submitted"):
            self.milestone.action_open_acceptance_wizard()

    def test_who_accepted_is_required(self):
        with self.assertRaises(AssertionError):
            self._record(100.0, "2025-05-02", approver=False)
        self.assertEqual(self.milestone.state, "submitted")
