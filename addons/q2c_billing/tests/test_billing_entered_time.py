from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"


@tagged("post_install", "-at_install")
class TestBillingEnteredTime(Q2cBillingCase):
    """Issue 14: time entered in Odoo itself is billed by the runs the same way as ingested
    time (billing-domain.md 1.1, 1.9): same grouping, same stored rate of the work date, same
    invoice, same block without a rate, same correction after billing.

    Consultant on C-700's card: 160.00 to 2025-03-31, 170.00 from 2025-04-01. Gina's time
    comes from another system; Ivy logs hers in Odoo with her own user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.partner_role = cls._role("Partner")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.carol = cls._employee("Carol", cls.partner_role)
        cls.ivy_user = new_test_user(
            cls.env,
            login="q2c_bill_ivy",
            groups="base.group_user,hr_timesheet.group_hr_timesheet_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.ivy = cls._employee("Ivy", cls.consultant)
        cls.ivy.user_id = cls.ivy_user
        cls.card = cls._card(
            "C-700 card",
            [
                (cls.consultant, 160.0, "2025-01-01", "2025-03-31"),
                (cls.consultant, 170.0, "2025-04-01", None),
            ],
        )
        cls.project = cls._project("P-700")
        cls.project.privacy_visibility = "employees"
        cls.company.q2c_time_approval = "on_entry"
        cls.contract = cls._contract("C-700", cls.project, cards=cls.card, user_id=cls.pm_user.id)

    def _log(self, day, hours, user=None, **values):
        """Time logged in Odoo on P-700, by Ivy unless `user` says otherwise."""
        Line = self.env["account.analytic.line"].with_user(user or self.ivy_user)
        return Line.create(
            {
                "project_id": self.project.id,
                "date": day,
                "unit_amount": hours,
                "name": "entered in Odoo",
                **values,
            }
        ).sudo()

    def test_entered_and_ingested_time_on_one_invoice(self):
        """Ingested: Gina 03-27 6.00 h x 160.00 = 960.00. Entered in Odoo by Ivy: 03-20
        2.00 h approved when entered; then the company asks for the project manager's
        approval: 03-25 1.50 h approved by C-700's manager, 03-28 1.00 h not approved yet.
        The March run (cut-off: when it is prepared) bills Ivy's approved 3.50 h x 160.00 =
        560.00 on one line, beside Gina's, on one invoice: 1,520.00. The unapproved hour
        waits."""
        self._ingest_time("P-700", [("g1", "Gina", "2025-03-27", 6.0, APPROVED)])
        entered = self._log("2025-03-20", 2.0)
        self.company.q2c_time_approval = "project_manager"
        approved = self._log("2025-03-25", 1.5)
        waiting = self._log("2025-03-28", 1.0)
        approved.with_user(self.pm_user).action_q2c_approve()
        run = self._bill("2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract)
        self.assertEqual(run.line_ids.state, "done")
        invoice = run.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                ("Gina - Consultant, 2025-03-27", 6.0, 160.0, 960.00),
                ("Ivy - Consultant, 2025-03-20..2025-03-25", 3.5, 160.0, 560.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 1520.00)
        for line in (entered, approved, self._time("g1")):
            with self.subTest(line=line.name):
                self.assertEqual(line.q2c_billing_status, "billed")
                self.assertEqual(line.q2c_invoice_id, invoice)
        self.assertEqual(waiting.q2c_billing_status, "pending_approval")
        self.assertFalse(waiting.q2c_invoice_line_id)

    def test_edit_of_a_billed_entered_line_is_a_correction(self):
        """Ivy's 03-20 2.00 h (320.00) are billed and posted in March; she then changes them
        to 3.00 h in Odoo. The billed line stays as billed; a reversal (-2.00 h x 160.00 =
        -320.00) and a replacement (3.00 h x 160.00 = 480.00) settle on the April invoice,
        naming the March one: 160.00."""
        line = self._log("2025-03-20", 2.0)
        march = self._bill(
            "2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract
        )
        march.with_user(self.finance_user).action_post()
        march_invoice = march.invoice_ids
        self.assertEqual(line.q2c_billing_status, "billed")
        line.with_user(self.ivy_user).write({"unit_amount": 3.0})
        self.assertEqual(line.unit_amount, 2.0, "billed history is not changed")
        corrections = self.env["account.analytic.line"].search([("q2c_origin_id", "=", line.id)])
        self.assertEqual(
            sorted(corrections.mapped("q2c_correction_kind")), ["replacement", "reversal"]
        )
        self.assertEqual(set(corrections.mapped("q2c_billing_status")), {"to_bill"})
        april = self._bill(
            "2025-04-01", "2025-04-30", False, "2025-05-05", contracts=self.contract
        )
        invoice = april.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                (f"Correction of {march_invoice.name}, reversal: Ivy", -2.0, 160.0, -320.00),
                (f"Correction of {march_invoice.name}, replacement: Ivy", 3.0, 160.0, 480.00),
            ],
        )
        self.assertAmount(invoice.amount_total, 160.00)

    def test_entered_line_without_rate_blocks_its_contract(self):
        """Carol (Partner) has no rate on C-700's card: her hour logged in Odoo is held with
        the resolver's reason, and the run blocks C-700 naming her entry (never billed at
        0.00, never skipped); Ivy's 1.00 h are not billed meanwhile."""
        held = self._log("2025-03-12", 1.0, user=self.env.user, employee_id=self.carol.id)
        self._log("2025-03-13", 1.0)
        self.assertEqual(held.q2c_billing_status, "no_rate")
        self.assertIn("No rate for Carol", held.q2c_hold_reason)
        run = self._bill("2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract)
        self.assertEqual(run.line_ids.state, "blocked")
        self.assertIn("Carol 2025-03-12 1.00 h", run.line_ids.reason)
        self.assertFalse(run.invoice_ids)
