import base64

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import Q2cProgressCase

WAIVER = base64.b64encode(b"%PDF-1.4 conditional waiver")


@tagged("post_install", "-at_install")
class TestPayApplicationDocuments(Q2cProgressCase):
    """The optional gate of issue 15: a contract's required documents (e.g. the conditional
    lien waivers for the period) are attached before its application is submitted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.waiver = cls.env.ref("q2c_progress_billing.document_type_conditional_waiver")
        cls.subs = cls.env.ref("q2c_progress_billing.document_type_sub_waivers")
        cls.contract = cls._k900(
            name="K-920",
            pay_required_document_type_ids=[Command.set((cls.waiver | cls.subs).ids)],
        )

    def test_submit_waits_for_the_required_documents(self):
        app = self._prepare(self.contract, "2025-04-30", {"1": 1000.00})
        self.assertEqual(app.document_ids.type_id, self.waiver | self.subs)
        with self.assertRefused(UserError, "Conditional lien waiver .this period., Subcontractor"):
            app.with_user(self.pm_user).action_submit()
        self.assertEqual(app.state, "draft")
        doc = app.document_ids.filtered(lambda d: d.type_id == self.waiver)
        doc.with_user(self.pm_user).write({"attachment": WAIVER, "attachment_name": "w.pdf"})
        with self.assertRefused(UserError, "requires Subcontractor lien waivers attached"):
            app.with_user(self.pm_user).action_submit()
        (app.document_ids - doc).with_user(self.pm_user).write(
            {"attachment": WAIVER, "attachment_name": "subs.pdf"}
        )
        app.with_user(self.pm_user).action_submit()
        self.assertEqual(app.state, "submitted")
        self.assertFalse(app.documents_missing)
        with self.assertRefused(UserError, "is submitted"):
            doc.with_user(self.pm_user).attachment = False
        self.assertTrue(doc.attachment)
        # A revision keeps the documents attached.
        app.with_user(self.pm_user).action_revise()
        new = self.Application.search(
            [("contract_id", "=", self.contract.id), ("state", "=", "draft")]
        )
        self.assertFalse(new.documents_missing)
        new.with_user(self.pm_user).action_submit()
        self.assertEqual(new.state, "submitted")

    def test_documents_are_not_added_by_hand(self):
        app = self._prepare(self.contract, "2025-04-30")
        other = self.env.ref("q2c_progress_billing.document_type_stored_materials")
        with self.assertRefused(UserError, "come from its contract"):
            self.env["q2c.pay.application.document"].with_user(self.pm_user).create(
                {"application_id": app.id, "type_id": other.id}
            )

    def test_contract_without_requirements_submits(self):
        app = self._prepare(self._k900(name="K-921"), "2025-04-30", {"1": 10.00})
        self.assertFalse(app.document_ids)
        app.with_user(self.pm_user).action_submit()
        self.assertEqual(app.state, "submitted")
