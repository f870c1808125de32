import psycopg2

from odoo import Command
from odoo.addons.q2c_expense.tests.common import (
    GC05_POLICY,
    create_gc05_products,
    set_eur_rates,
)
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import Q2cBillingCase

APPROVED = "2025-03-31T12:00:00Z"
MARCH = ("2025-03-01", "2025-03-31", "2025-04-02 10:00:00", "2025-04-02")
APRIL = ("2025-04-01", "2025-04-30", "2025-05-02 10:00:00", "2025-05-02")


@tagged("post_install", "-at_install")
class TestPrebillReview(Q2cBillingCase):
    """Pre-bill review, write-ups and write-downs (billing-domain.md 1.6).

    March 2025, one contract requiring pre-bill review, role rates Consultant 150.00 and
    Analyst 100.00:
    Gina (Consultant) 03-03 4.00 h + 03-04 3.50 h = 7.50 h x 150.00 = 1,125.00;
    Hal (Analyst) 03-05 6.00 h + 03-06 2.25 h = 8.25 h x 100.00 = 825.00;
    Ivy (Consultant) 03-07 2.00 h x 150.00 = 300.00. Standard value 2,250.00."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        consultant, analyst = cls._role("Consultant"), cls._role("Analyst")
        for name, role in (("Gina", consultant), ("Hal", analyst), ("Ivy", consultant)):
            cls._employee(name, role)
        cls.card = cls._card(
            "Review card",
            [(consultant, 150.0, "2025-01-01", None), (analyst, 100.0, "2025-01-01", None)],
        )
        cls.pm_project = cls._project("P-REV")
        cls.pm_project.user_id = cls.pm_user
        cls.contract = cls._contract(
            "REV", cls.pm_project, cards=cls.card, prebill_review_required=True
        )
        cls._ingest_time(
            "P-REV",
            [
                ("r1", "Gina", "2025-03-03", 4.0, APPROVED),
                ("r2", "Gina", "2025-03-04", 3.5, APPROVED),
                ("r3", "Hal", "2025-03-05", 6.0, APPROVED),
                ("r4", "Hal", "2025-03-06", 2.25, APPROVED),
                ("r5", "Ivy", "2025-03-07", 2.0, APPROVED),
            ],
        )
        cls.inefficiency = cls.env.ref("q2c_billing.prebill_reason_inefficiency")
        cls.goodwill = cls.env.ref("q2c_billing.prebill_reason_goodwill")
        cls.dispute = cls.env.ref("q2c_billing.prebill_reason_dispute")
        cls.scope = cls.env.ref("q2c_billing.prebill_reason_scope")
        cls.next_period = cls.env.ref("q2c_billing.prebill_reason_timing")

    def _review(self, run):
        review = run.prebill_review_ids
        self.assertEqual(len(review), 1)
        return review.with_user(self.finance_user)

    def _line(self, review, who):
        return review.line_ids.filtered(lambda line: line.employee_id.name == who)

    def test_proposal_instead_of_invoice(self):
        """Preparing builds the proposal, no invoice: three time lines at standard value
        (1,125.00, 825.00, 300.00 = 2,250.00), realization 100.00%; nothing marked
        billed; the run waits in review and cannot be posted."""
        run = self._bill(*MARCH, contracts=self.contract)
        self.assertEqual(run.state, "review")
        self.assertFalse(run.invoice_ids)
        self.assertEqual(run.line_ids.state, "review")
        review = self._review(run)
        self.assertEqual(review.state, "to_review")
        self.assertEqual(review.line_ids.mapped("kind"), ["time", "time", "time"])
        expected = {
            "Gina": (7.5, 150.0, 1125.0),
            "Hal": (8.25, 100.0, 825.0),
            "Ivy": (2.0, 150.0, 300.0),
        }
        for who, (hours, rate, value) in expected.items():
            line = self._line(review, who)
            self.assertAmount(line.recorded_hours, hours)
            self.assertAmount(line.rate, rate)
            self.assertAmount(line.standard_value, value)
            self.assertAmount(line.billed_value, value)
        self.assertAmount(review.standard_value, 2250.0)
        self.assertAmount(review.billed_value, 2250.0)
        self.assertAlmostEqual(review.realization, 100.0, places=2)
        entries = self._time("r1") | self._time("r5")
        self.assertEqual(set(entries.mapped("q2c_billing_status")), {"to_bill"})
        with self.assertRaisesRegex(UserError, "pre-bill review"):
            run.with_user(self.finance_user).action_post()

    def test_write_downs_write_off_and_amount_adjustment(self):
        """1.6 worked by hand:
        * hours: Gina 7.50 h -> 6.00 h (inefficiency): 6.00 x 150.00 = 900.00; the entries
          keep 4.00 h and 3.50 h and store billed hours pro rata: 4.00 x 6/7.5 = 3.20, the
          last one the remainder 6.00 - 3.20 = 2.80;
        * rate: Hal 100.00 -> 95.00 (client dispute): 8.25 x 95.00 = 783.75;
        * write-off: Ivy 2.00 h (dispute): billed 0.00, status written off, standard 300.00
          still counted;
        * amount: -100.00 goodwill, an invoice line of its own, allocated to the billed
          lines pro rata to billed value (900.00 + 783.75 = 1,683.75): Gina
          round(-100 x 900 / 1,683.75) = round(-53.452...) = -53.45, Hal (last) the
          remainder -46.55.
        Billed 900.00 + 783.75 + 0.00 - 100.00 = 1,583.75; standard 2,250.00; realization
        1,583.75 / 2,250.00 = 70.388...% -> 70.39%. Per line: Gina (900.00 - 53.45) /
        1,125.00 = 75.2488...% -> 75.25%; Hal (783.75 - 46.55) / 825.00 = 89.357...% ->
        89.36%; Ivy 0.00%. The invoice: 900.00 + 783.75 - 100.00 = 1,583.75."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        gina, hal, ivy = (self._line(review, who) for who in ("Gina", "Hal", "Ivy"))
        gina.write({"billed_hours": 6.0, "reason_id": self.inefficiency.id})
        hal.write({"billed_rate": 95.0, "reason_id": self.dispute.id})
        ivy.write({"disposition": "write_off", "reason_id": self.dispute.id})
        discount = review.env["q2c.prebill.line"].create(
            {
                "review_id": review.id,
                "name": "Goodwill discount",
                "amount": -100.0,
                "reason_id": self.goodwill.id,
            }
        )
        self.assertEqual(gina.adjusted_by, self.finance_user)
        self.assertTrue(gina.adjusted_at)
        self.assertEqual(discount.adjusted_by, self.finance_user)
        self.assertAmount(gina.billed_value, 900.0)
        self.assertAmount(hal.billed_value, 783.75)
        self.assertAmount(ivy.billed_value, 0.0)
        self.assertAmount(gina.allocated_amount, -53.45)
        self.assertAmount(hal.allocated_amount, -46.55)
        self.assertAmount(ivy.allocated_amount, 0.0)
        self.assertAlmostEqual(gina.realization, 75.25, places=2)
        self.assertAlmostEqual(hal.realization, 89.36, places=2)
        self.assertAlmostEqual(ivy.realization, 0.0, places=2)
        self.assertAmount(review.standard_value, 2250.0)
        self.assertAmount(review.billed_value, 1583.75)
        self.assertAmount(review.adjustment_value, -666.25)
        self.assertAlmostEqual(review.realization, 70.39, places=2)

        review.action_approve()
        self.assertEqual(review.state, "approved")
        self.assertEqual(review.reviewer_id, self.finance_user)
        self.assertTrue(review.approved_at)
        self.assertEqual(run.state, "invoiced")
        invoice = run.invoice_ids
        self.assertEqual(review.invoice_id, invoice)
        self.assertInvoiceLines(
            invoice,
            [
                ("Gina - Consultant, 2025-03-03..2025-03-04", 6.0, 150.0, 900.0),
                ("Hal - Analyst, 2025-03-05..2025-03-06", 8.25, 95.0, 783.75),
                ("Goodwill discount", 1.0, -100.0, -100.0),
            ],
        )
        self.assertAmount(invoice.amount_total, 1583.75)
        r1, r2, r5 = self._time("r1"), self._time("r2"), self._time("r5")
        self.assertAmount(r1.unit_amount, 4.0, "the recorded entry keeps its hours")
        self.assertAmount(r1.q2c_billed_quantity, 3.2)
        self.assertAmount(r2.q2c_billed_quantity, 2.8)
        self.assertEqual((r1.q2c_billing_status, r2.q2c_billing_status), ("billed", "billed"))
        self.assertEqual(r5.q2c_billing_status, "written_off")
        self.assertFalse(r5.q2c_invoice_line_id)
        self.assertEqual(r5.q2c_writeoff_reason_id, self.dispute)
        # The timesheet annex prints the billed hours: Gina's 3.20 + 2.80 = 6.00, Hal's
        # recorded hours (only his rate changed), never Ivy's written-off 2.00.
        annex = invoice._q2c_annex_entries()
        self.assertNotIn(r5, annex)
        self.assertAmount(r1._q2c_invoiced_hours(), 3.2)
        self.assertAmount(sum(entry._q2c_invoiced_hours() for entry in annex), 6.0 + 8.25)
        run.with_user(self.finance_user).action_post()
        self.assertEqual(invoice.state, "posted")
        # Written off is never billed: April has nothing of it.
        april = self._bill(*APRIL, contracts=self.contract)
        self.assertFalse(april.prebill_review_ids)
        self.assertFalse(april.invoice_ids)

    def test_truncating_cap_applies_to_the_billed_value(self):
        """A not-to-exceed cap in truncate mode applies to the billed value (1.2, 1.6), the
        reviewer's adjustments included, also on the line split at the cap. Contract
        REV-CAP, cap 1,000.00 (truncate), pre-bill review: Gina 03-03 4.00 h + 03-04
        3.50 h at 150.00 (one line, 1,125.00), Hal 03-05 2.00 h at 100.00 (200.00).
        The reviewer: Gina 7.50 h -> 6.00 h (inefficiency) = 900.00, stored pro rata on
        the entries 4.00 x 6/7.5 = 3.20 h and 2.80 h; Hal's rate 100.00 -> 80.00 (dispute)
        = 160.00; a goodwill discount of -20.00. Billed value 900.00 + 160.00 - 20.00 =
        1,040.00, over the cap: the time gets 1,000.00 - (-20.00) = 1,020.00, by work date:
        Gina 3.20 x 150.00 = 480.00 (540.00 left), 2.80 x 150.00 = 420.00 (120.00 left);
        Hal 2.00 x 80.00 = 160.00 does not fit: 120.00 / 80.00 = 1.50 h billed, 0.50 h
        held at 80.00 = 40.00. Invoice: 900.00 + 1.50 x 80.00 = 120.00 - 20.00 = 1,000.00,
        the cap; posted, no headroom is left."""
        project = self._project("P-REV-CAP")
        contract = self._contract(
            "REV-CAP",
            project,
            cards=self.card,
            prebill_review_required=True,
            nte_original_amount=1000.0,
            nte_mode="truncate",
        )
        self._ingest_time(
            "P-REV-CAP",
            [
                ("c1", "Gina", "2025-03-03", 4.0, APPROVED),
                ("c2", "Gina", "2025-03-04", 3.5, APPROVED),
                ("c3", "Hal", "2025-03-05", 2.0, APPROVED),
            ],
        )
        run = self._bill(*MARCH, contracts=contract)
        review = self._review(run)
        self._line(review, "Gina").write({"billed_hours": 6.0, "reason_id": self.inefficiency.id})
        self._line(review, "Hal").write({"billed_rate": 80.0, "reason_id": self.dispute.id})
        review.env["q2c.prebill.line"].create(
            {
                "review_id": review.id,
                "name": "Goodwill discount",
                "amount": -20.0,
                "reason_id": self.goodwill.id,
            }
        )
        self.assertAmount(review.billed_value, 1040.0)
        # The proposal shows what the cap takes: -40.00 (Hal's 0.50 h x 80.00), read only,
        # and totals the invoice's 1,000.00.
        cap = review.line_ids.filtered(lambda line: line.kind == "cap")
        self.assertEqual(len(cap), 1)
        self.assertAmount(cap.billed_value, -40.0)
        self.assertAmount(review.amount_total, 1000.0)
        self.assertAmount(review.billed_value, 1040.0)
        with self.assertRaisesRegex(UserError, "cannot be changed by hand"):
            cap.write({"billed_rate": 0.0})
        review.action_approve()
        invoice = run.invoice_ids
        self.assertEqual(
            self.currency.compare_amounts(review.amount_total, invoice.amount_total), 0
        )
        self.assertInvoiceLines(
            invoice,
            [
                ("Gina - Consultant, 2025-03-03..2025-03-04", 6.0, 150.0, 900.0),
                ("Hal - Analyst, 2025-03-05", 1.5, 80.0, 120.0),
                ("Goodwill discount", 1.0, -20.0, -20.0),
            ],
        )
        self.assertAmount(invoice.amount_total, 1000.0)
        hold = self.env["q2c.cap.hold"].search(
            [("contract_id", "=", contract.id), ("kind", "=", "hold")]
        )
        self.assertEqual(hold.timesheet_id, self._time("c3"))
        self.assertAmount(hold.hours, 0.5)
        self.assertAmount(hold.rate, 80.0)
        self.assertAmount(hold.amount, 40.0)
        run.with_user(self.finance_user).action_post()
        contract.invalidate_recordset()
        self.assertAmount(contract.nte_billed_amount, 1000.0)
        self.assertAmount(contract.nte_headroom, 0.0)

    def test_adjustment_cap_shown_on_the_proposal(self):
        """A not-to-exceed cap in adjustment mode (1.2, GC-02) on a pre-bill (1.6): the
        proposal shows the cap's line the invoice will carry, recomputed as the reviewer
        changes the others, so that its Invoice Total is the invoice's. Contract REV-ADJ,
        cap 1,000.00 (adjustment): Gina 03-03 4.00 h + 03-04 3.50 h at 150.00 = 1,125.00,
        Hal 03-05 2.00 h at 100.00 = 200.00; value 1,325.00, headroom 1,000.00: the cap
        line is -325.00, Invoice Total 1,000.00 (billed value 1,325.00, realization 100 %:
        what the cap holds is deferred, not written down). Hal written off (dispute): value
        1,125.00, cap line -125.00, total 1,000.00. Approved: the invoice bills Gina
        1,125.00 and the cap line -125.00 = 1,000.00, the proposal's total; 125.00 held."""
        contract = self._contract(
            "REV-ADJ",
            self._project("P-REV-ADJ"),
            cards=self.card,
            prebill_review_required=True,
            nte_original_amount=1000.0,
            nte_mode="adjustment",
        )
        self._ingest_time(
            "P-REV-ADJ",
            [
                ("a1", "Gina", "2025-03-03", 4.0, APPROVED),
                ("a2", "Gina", "2025-03-04", 3.5, APPROVED),
                ("a3", "Hal", "2025-03-05", 2.0, APPROVED),
            ],
        )
        run = self._bill(*MARCH, contracts=contract)
        review = self._review(run)
        cap = review.line_ids.filtered(lambda line: line.kind == "cap")
        self.assertEqual(len(cap), 1)
        self.assertIn("Not-to-exceed limit adjustment", cap.name)
        self.assertAmount(cap.billed_value, -325.0)
        self.assertAmount(review.billed_value, 1325.0)
        self.assertAmount(review.amount_total, 1000.0)
        self.assertTrue(review.has_computed_lines)
        self._line(review, "Hal").write({"disposition": "write_off", "reason_id": self.dispute.id})
        cap = review.line_ids.filtered(lambda line: line.kind == "cap")
        self.assertAmount(cap.billed_value, -125.0)
        self.assertAmount(review.billed_value, 1125.0)
        self.assertAmount(review.amount_total, 1000.0)
        with self.assertRaisesRegex(UserError, "delete only amount adjustment lines"):
            cap.unlink()
        review.action_approve()
        invoice = run.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                ("Gina - Consultant, 2025-03-03..2025-03-04", 7.5, 150.0, 1125.0),
                ("Not-to-exceed limit adjustment", 1.0, -125.0, -125.0),
            ],
        )
        self.assertEqual(
            self.currency.compare_amounts(review.amount_total, invoice.amount_total), 0
        )
        hold = self.env["q2c.cap.hold"].search(
            [("contract_id", "=", contract.id), ("kind", "=", "hold")]
        )
        self.assertAmount(hold.amount, 125.0)

    def test_next_period_stays_to_bill(self):
        """Hal's 8.25 h moved to the next period stay to bill: March bills Gina 1,125.00
        and Ivy 300.00 = 1,425.00 (standard 1,425.00, Hal left out of both, realization
        100.00%); the April run proposes Hal's 8.25 h x 100.00 = 825.00 again."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        self._line(review, "Hal").write(
            {"disposition": "next_period", "reason_id": self.next_period.id}
        )
        self.assertAmount(review.standard_value, 1425.0)
        self.assertAlmostEqual(review.realization, 100.0, places=2)
        review.action_approve()
        self.assertAmount(run.invoice_ids.amount_total, 1425.0)
        hal = self._time("r3") | self._time("r4")
        self.assertEqual(set(hal.mapped("q2c_billing_status")), {"to_bill"})
        self.assertFalse(hal.q2c_invoice_line_id)
        run.with_user(self.finance_user).action_post()
        april = self._bill(*APRIL, contracts=self.contract)
        april_review = self._review(april)
        self.assertEqual(april_review.line_ids.timesheet_ids, hal)
        self.assertAmount(april_review.standard_value, 825.0)
        april_review.action_approve()
        self.assertAmount(april.invoice_ids.amount_total, 825.0)

    def test_write_up_with_its_reason(self):
        """Write-up: Ivy 2.00 h -> 2.50 h for added scope: 2.50 x 150.00 = 375.00 (standard
        300.00, realization 125.00%). A write-down reason does not explain it."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        ivy = self._line(review, "Ivy")
        with self.assertRaisesRegex(ValidationError, "reason"):
            ivy.write({"billed_hours": 2.5})
        with self.assertRaisesRegex(ValidationError, "write-down"):
            ivy.write({"billed_hours": 2.5, "reason_id": self.goodwill.id})
        ivy.write({"billed_hours": 2.5, "reason_id": self.scope.id})
        self.assertAmount(ivy.billed_value, 375.0)
        self.assertAlmostEqual(ivy.realization, 125.0, places=2)
        review.action_approve()
        self.assertAmount(run.invoice_ids.amount_total, 1125.0 + 825.0 + 375.0)

    def test_approving_twice_or_rerunning_bills_once(self):
        """Re-approving is refused, the job run again does nothing, another run of the same
        period is blocked: one invoice of 2,250.00."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        review.action_approve()
        with self.assertRaisesRegex(UserError, "Approved"):
            review.action_approve()
        self._perform(run.line_ids.job_uuid)
        self.assertEqual(len(run.invoice_ids), 1)
        self.assertAmount(run.invoice_ids.amount_total, 2250.0)
        again = self._bill(*MARCH, contracts=self.contract)
        self.assertEqual(again.line_ids.state, "blocked")
        self.assertFalse(again.prebill_review_ids)
        self.assertEqual(
            self.env["account.move"].search_count([("q2c_contract_id", "=", self.contract.id)]), 1
        )

    def test_cancelled_run_frees_its_review(self):
        """Cancelling the run before approval cancels the review; the entries stay to bill
        and the next run of the period proposes them again."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        run.with_user(self.finance_user).action_cancel()
        self.assertEqual(review.state, "cancelled")
        with self.assertRaisesRegex(UserError, "Cancelled"):
            review.action_approve()
        again = self._bill(*MARCH, contracts=self.contract)
        self.assertAmount(self._review(again).standard_value, 2250.0)

    def test_run_approve_approves_every_open_review(self):
        """The run's Approve All approves each open review as it stands."""
        run = self._bill(*MARCH, contracts=self.contract)
        run.with_user(self.finance_user).action_approve()
        self.assertEqual(run.prebill_review_ids.state, "approved")
        self.assertEqual(run.state, "invoiced")
        self.assertAmount(run.invoice_ids.amount_total, 2250.0)

    def test_company_auto_post_after_the_last_review(self):
        """With automatic posting, the run waits for its review (nothing is posted before
        a person approved it) and posts the invoice once the review is approved."""
        self.company.q2c_billing_auto_post = True
        run = self._bill(*MARCH, contracts=self.contract)
        self.assertEqual(run.state, "review")
        self._review(run).action_approve()
        self.assertEqual((run.state, run.invoice_ids.state), ("posted", "posted"))

    def test_only_finance_reviews(self):
        """The project manager reads the review of its project and changes nothing; the
        Auditor reads; neither approves."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = run.prebill_review_ids
        line = self._line(review, "Gina")
        for user in (self.pm_user, self.auditor_user):
            with self.subTest(user=user.login):
                self.assertEqual(review.with_user(user).read(["state"])[0]["state"], "to_review")
                with self.assertRaises(AccessError):
                    review.with_user(user).action_approve()
                with self.assertRaises(AccessError):
                    line.with_user(user).write(
                        {"billed_hours": 1.0, "reason_id": self.inefficiency.id}
                    )
        with self.assertRaises(AccessError):
            review.with_user(self.finance_user).write({"state": "approved"})
        self.pm_project.user_id = self.finance_user
        self.assertFalse(
            review.with_user(self.pm_user).search([("id", "=", review.id)]),
            "not the project manager's project any more",
        )

    def test_entry_changed_since_the_proposal_blocks_approval(self):
        """Hal's 6.00 h of 03-05 become 5.00 h at the source after the proposal (8.25 h,
        825.00) was built: the reviewer decided on other numbers, so approval is refused
        with the reason and nothing is billed; a new run proposes 7.25 h x 100.00 = 725.00."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        self._ingest_time("P-REV", [("r3", "Hal", "2025-03-05", 5.0, APPROVED)])
        self.assertAmount(self._time("r3").unit_amount, 5.0)
        with self.assertRaisesRegex(UserError, "changed since the pre-bill"):
            review.action_approve()
        self.assertEqual(review.state, "to_review")
        self.assertFalse(run.invoice_ids)
        self.assertEqual(self._time("r1").q2c_billing_status, "to_bill")
        run.with_user(self.finance_user).action_cancel()
        again = self._bill(*MARCH, contracts=self.contract)
        self.assertAmount(self._line(self._review(again), "Hal").standard_value, 725.0)

    def test_project_manager_finds_the_menu(self):
        """Contracts > Billing > Pre-bill Review is the project manager's way to read the
        pre-bills of its projects; Time to Bill and the runs stay Finance's."""
        visible = self.env["ir.ui.menu"].with_user(self.pm_user)._visible_menu_ids()
        self.assertIn(self.env.ref("q2c_billing.menu_q2c_prebill_review").id, visible)
        self.assertNotIn(self.env.ref("q2c_billing.menu_q2c_time_to_bill").id, visible)
        self.assertNotIn(self.env.ref("q2c_billing.menu_q2c_billing_run").id, visible)

    def test_second_approval_on_a_stale_read_is_refused_by_the_database(self):
        """Two reviewers approving at the same time: the second one read the review still to
        review and the entries still to bill (reset here by SQL to what its snapshot saw).
        Its invoice meets the unique link of the first one to the contract's result: the
        database refuses it, one invoice of 2,250.00 stays."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = self._review(run)
        review.action_approve()
        invoice = run.invoice_ids
        self.env.flush_all()
        entries = review.line_ids.timesheet_ids
        self.env.cr.execute(
            "UPDATE q2c_prebill_review SET state = 'to_review' WHERE id = %s", [review.id]
        )
        self.env.cr.execute(
            "UPDATE q2c_billing_run_line SET state = 'review' WHERE id = %s", [run.line_ids.id]
        )
        self.env.cr.execute(
            "UPDATE account_analytic_line SET q2c_billing_status = 'to_bill', "
            "q2c_invoice_line_id = NULL WHERE id IN %s",
            [tuple(entries.ids)],
        )
        self.env.invalidate_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            review.action_approve()
        self.env.invalidate_all()
        moves = self.env["account.move"].search([("q2c_contract_id", "=", self.contract.id)])
        self.assertEqual(moves, invoice)
        self.assertAmount(invoice.amount_total, 2250.0)


@tagged("post_install", "-at_install")
class TestPrebillReviewExpenses(Q2cBillingCase):
    """Expenses in a pre-bill (billing-domain.md 1.5 values, 1.6 decisions): GC-05's airfare
    612.40 + 10% = 673.64 and mileage 146 mi x 0.70 = 102.20, standard 775.84."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_eur_rates(cls.env, cls.company)
        categories, _products = create_gc05_products(cls.env, cls.system, "prebill test")
        cls._employee("Gina", cls._role("Consultant"))
        cls.contract = cls._contract(
            "C-PBX",
            cls._project("P-PBX"),
            prebill_review_required=True,
            expense_policy_ids=[
                Command.create({"product_categ_id": categories[name].id, **vals})
                for name, vals in GC05_POLICY.items()
            ],
        )
        rows = [
            ("x1", "airfare", "2025-03-04", 612.40, {}),
            ("x2", "mileage", "2025-03-18", 102.20, {"quantity": 146}),
        ]
        results = (
            cls.env["hr.expense"]
            .sudo()
            ._q2c_ingest(
                cls.system,
                [
                    {
                        "external_id": ext,
                        "employee": "u-Gina",
                        "project": "P-PBX",
                        "category": category,
                        "date": day,
                        "amount": amount,
                        "approved_at": APPROVED,
                        **extra,
                    }
                    for ext, category, day, amount, extra in rows
                ],
            )
        )
        assert {r["status"] for r in results} == {"created"}, results

    def test_expense_written_off_and_quantity_written_down(self):
        """Airfare written off (client dispute): never billed, status written off. Mileage
        146.00 -> 120.00 mi (inefficiency): 120.00 x 0.70 = 84.00, the expense keeps its
        146 and stores 120.00 billed. Invoice 84.00; standard 775.84; realization 84.00 /
        775.84 = 10.8270...% -> 10.83%."""
        run = self._bill(*MARCH, contracts=self.contract)
        review = run.prebill_review_ids.with_user(self.finance_user)
        self.assertEqual(review.line_ids.mapped("kind"), ["expense", "expense"])
        self.assertAmount(review.standard_value, 775.84)
        airfare, mileage = review.line_ids.sorted("sequence")
        airfare.write(
            {
                "disposition": "write_off",
                "reason_id": self.env.ref("q2c_billing.prebill_reason_dispute").id,
            }
        )
        mileage.write(
            {
                "billed_hours": 120.0,
                "reason_id": self.env.ref("q2c_billing.prebill_reason_inefficiency").id,
            }
        )
        self.assertAmount(review.billed_value, 84.0)
        self.assertAlmostEqual(review.realization, 10.83, places=2)
        review.action_approve()
        self.assertAmount(run.invoice_ids.amount_total, 84.0)
        self.assertEqual(airfare.expense_ids.q2c_billing_status, "written_off")
        self.assertEqual(mileage.expense_ids.q2c_billing_status, "billed")
        self.assertAmount(mileage.expense_ids.quantity, 146.0)
        self.assertAmount(mileage.expense_ids.q2c_billed_quantity, 120.0)
