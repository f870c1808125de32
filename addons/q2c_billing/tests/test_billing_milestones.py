from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import Q2cBillingCase

FEE = 95555.55
M1, M2, M3 = 19111.11, 28666.67, 47777.77


@tagged("post_install", "-at_install")
class TestBillingMilestones(Q2cBillingCase):
    """GC-03 (billing-domain.md 1.3) through billing runs: contract C-300, fixed fee
    95,555.55 USD, milestones M1 Discovery 20%, M2 Design 30%, M3 Delivery 50% (the last one
    takes the remainder), deemed accepted 10 calendar days after submission, monthly runs with
    the cut-off at the month's end.

    M1 = round(95,555.55 x 0.20) = 19,111.11
    M2 = round(95,555.55 x 0.30) = round(28,666.665) = 28,666.67 (half-even: 28,666.66)
    M3 = 95,555.55 - 19,111.11 - 28,666.67 = 47,777.77 (50% directly: 47,777.78, one cent
    too many)"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._contract(
            "C-300",
            cls._project("P-300"),
            billing_model="fixed_fee",
            original_value=FEE,
            deemed_acceptance_days=10,
            milestone_ids=[
                Command.create({"sequence": 1, "name": "M1 Discovery", "percent": 20}),
                Command.create({"sequence": 2, "name": "M2 Design", "percent": 30}),
                Command.create({"sequence": 3, "name": "M3 Delivery", "percent": 50}),
            ],
        )
        cls.m1, cls.m2, cls.m3 = cls.contract.milestone_ids.sorted("sequence")

    # ------------------------------------------------------------------ helpers

    def _submit(self, milestone, day):
        with freeze_time(day):
            milestone.action_submit()

    def _accept(self, milestone, day, share=100.0):
        milestone.write({"accepted_share": share, "accepted_date": day})
        milestone.action_accept()

    def _month(self, first, last):
        """The month's run of C-300, cut-off and invoice date at the month's end."""
        return self._bill(first, last, f"{last} 21:00:00", last, contracts=self.contract)

    def _march(self):
        return self._month("2025-03-01", "2025-03-31")

    def _april(self):
        return self._month("2025-04-01", "2025-04-30")

    def _may(self):
        return self._month("2025-05-01", "2025-05-31")

    def _june(self):
        return self._month("2025-06-01", "2025-06-30")

    def _post(self, run):
        run.with_user(self.finance_user).action_post()
        self.assertEqual(run.invoice_ids.state, "posted")

    def _billed(self, milestone, amount, state):
        self.assertAmount(milestone.billed_amount, amount)
        self.assertAmount(sum(milestone.billed_share_ids.mapped("amount")), amount)
        self.assertEqual(milestone.state, state)

    # ------------------------------------------------------------------ GC-03

    def test_milestone_amounts_sum_to_the_fee(self):
        """19,111.11 + 28,666.67 + 47,777.77 = 95,555.55, to the cent."""
        for milestone, amount in ((self.m1, M1), (self.m2, M2), (self.m3, M3)):
            self.assertAmount(milestone.amount, amount)
        self.assertAmount(self.contract.milestone_total, FEE)

    def test_gc03_invoices_month_by_month(self):
        """March: M1 submitted 03-20, accepted 03-28 -> M1 Discovery (20%) 19,111.11.
        April: M2 submitted 04-15, partially accepted 04-22 at 60% -> round(28,666.67 x 0.60)
        = round(17,200.002) = 17,200.00.
        May: M2 accepted in full 05-15 -> the balance 28,666.67 - 17,200.00 = 11,466.67
        (remainder rule, no recomputation); M3 submitted 05-26, no answer by 05-31: NOT on May.
        June: M3 deemed accepted 05-26 + 10 days = 06-05 -> 47,777.77.
        Sum of the four invoices: 19,111.11 + 17,200.00 + 11,466.67 + 47,777.77 = 95,555.55."""
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-03-28")
        march = self._march()
        self.assertInvoiceLines(
            march.invoice_ids, [("M1 Discovery (20%), accepted 2025-03-28", 1, M1, M1)]
        )
        self.assertEqual(march.line_ids.milestone_count, 1)
        share = self.m1.billed_share_ids
        self.assertEqual(share.invoice_line_id, march.invoice_ids.invoice_line_ids)
        self.assertEqual(march.invoice_ids.invoice_line_ids.q2c_milestone_share_ids, share)
        self.assertEqual(share.kind, "full")
        self._billed(self.m1, M1, "billed")
        self._post(march)

        self._submit(self.m2, "2025-04-15")
        self._accept(self.m2, "2025-04-22", share=60.0)
        april = self._april()
        self.assertInvoiceLines(
            april.invoice_ids,
            [("M2 Design (30%) - 60% accepted 2025-04-22", 1, 17200.00, 17200.00)],
        )
        self._billed(self.m2, 17200.00, "partially_accepted")
        self._billed(self.m1, M1, "billed")  # M1 is not billed twice
        self._post(april)

        self._accept(self.m2, "2025-05-15")
        self._submit(self.m3, "2025-05-26")
        may = self._may()
        self.assertInvoiceLines(
            may.invoice_ids,
            [("M2 Design (30%) - balance, accepted 2025-05-15", 1, 11466.67, 11466.67)],
        )
        self.assertNotIn("M3", " ".join(may.invoice_ids.invoice_line_ids.mapped("name")))
        self.assertEqual(self.m3.state, "submitted")
        self._billed(self.m2, M2, "billed")
        self.assertEqual(self.m2.billed_share_ids.mapped("kind"), ["share", "balance"])
        self._post(may)

        # No cron ran: the June run sees the window passed and accepts M3 as deemed first.
        june = self._june()
        self.assertInvoiceLines(
            june.invoice_ids,
            [("M3 Delivery (50%), deemed accepted 2025-06-05", 1, M3, M3)],
        )
        self.assertTrue(self.m3.deemed)
        self.assertEqual(str(self.m3.accepted_date), "2025-06-05")
        self._billed(self.m3, M3, "billed")
        self._post(june)

        invoices = march.invoice_ids | april.invoice_ids | may.invoice_ids | june.invoice_ids
        self.assertAmount(sum(invoices.mapped("amount_total")), FEE)
        self.assertAmount(sum(self.contract.milestone_ids.mapped("billed_amount")), FEE)

        # Nothing billed twice: a July run finds nothing left.
        july = self._month("2025-07-01", "2025-07-31")
        self.assertEqual((july.line_ids.state, july.line_ids.invoice_id.id), ("done", False))
        self.assertIn("Nothing to bill", july.line_ids.reason)

    def test_gc03_rejection_bills_nothing_and_resubmission_restarts_the_clock(self):
        """M3 submitted 05-26, rejected 06-02 (before its window ends 06-05), resubmitted
        06-25: its window now ends 06-25 + 10 = 07-05. June's run (cut-off 06-30) bills
        nothing; July's bills 47,777.77 (deemed accepted 07-05)."""
        self._submit(self.m3, "2025-05-26")
        with freeze_time("2025-06-02"):
            self.m3.action_reject()
        self._submit(self.m3, "2025-06-25")
        june = self._june()
        self.assertFalse(june.line_ids.invoice_id)
        self.assertIn("Nothing to bill", june.line_ids.reason)
        self.assertEqual(self.m3.state, "submitted")
        july = self._month("2025-07-01", "2025-07-31")
        self.assertInvoiceLines(
            july.invoice_ids, [("M3 Delivery (50%), deemed accepted 2025-07-05", 1, M3, M3)]
        )
        self._billed(self.m3, M3, "billed")

    def test_rejected_milestone_is_not_billed(self):
        """M3 submitted 05-26 and rejected 06-02, never resubmitted: nothing in June."""
        self._submit(self.m3, "2025-05-26")
        self.m3.action_reject()
        june = self._june()
        self.assertFalse(june.line_ids.invoice_id)
        self._billed(self.m3, 0.0, "rejected")

    def test_acceptance_after_the_period_waits_for_the_next_run(self):
        """M1 accepted 04-01, recorded before March's run is prepared on 04-03: March's
        run (period and cut-off end 03-31) bills nothing; April's bills 19,111.11."""
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-04-01")
        march = self._bill(
            "2025-03-01",
            "2025-03-31",
            "2025-04-03 10:00:00",
            "2025-04-03",
            contracts=self.contract,
        )
        self.assertFalse(march.line_ids.invoice_id)
        self.assertAmount(self._april().invoice_ids.amount_total, M1)

    # ------------------------------------------------------------------ exactly once

    def test_cancelling_the_run_frees_the_shares_and_a_rerun_bills_them_once(self):
        """April: M1 accepted in full (19,111.11) and M2 at 60% (17,200.00): 36,311.11.
        Cancelled, both are free again (M1 accepted, M2 partially accepted, nothing billed);
        the next run bills the same 36,311.11 once; its job performed again bills nothing."""
        self._submit(self.m1, "2025-04-01")
        self._accept(self.m1, "2025-04-10")
        self._submit(self.m2, "2025-04-15")
        self._accept(self.m2, "2025-04-22", share=60.0)
        first = self._april()
        self.assertAmount(first.invoice_ids.amount_total, 36311.11)
        self._billed(self.m1, M1, "billed")

        first.with_user(self.finance_user).action_cancel()
        self.assertFalse(first.invoice_ids.exists())
        self._billed(self.m1, 0.0, "accepted")
        self._billed(self.m2, 0.0, "partially_accepted")
        self.assertFalse(
            self.env["q2c.milestone.share"].search([("contract_id", "=", self.contract.id)])
        )

        second = self._april()
        invoice = second.invoice_ids
        self.assertInvoiceLines(
            invoice,
            [
                ("M1 Discovery (20%), accepted 2025-04-10", 1, M1, M1),
                ("M2 Design (30%) - 60% accepted 2025-04-22", 1, 17200.00, 17200.00),
            ],
        )
        job = self._perform(second.line_ids.job_uuid)
        self.assertIn("Nothing to do", job.result)
        self.assertEqual(
            self.env["account.move"].search([("q2c_contract_id", "=", self.contract.id)]),
            invoice,
        )
        self._billed(self.m1, M1, "billed")
        self._billed(self.m2, 17200.00, "partially_accepted")

    def test_two_runs_prepared_before_their_jobs_bill_once(self):
        """M1 accepted 04-10 (19,111.11). April's and May's runs are both prepared before
        either job runs; May's job performs first and bills M1 (accepted in its period or
        earlier), April's then finds nothing left: 19,111.11 billed once in all."""
        self._submit(self.m1, "2025-04-01")
        self._accept(self.m1, "2025-04-10")
        april = self._new_run(
            "2025-04-01", "2025-04-30", "2025-04-30 21:00:00", "2025-04-30", self.contract
        )
        may = self._new_run(
            "2025-05-01", "2025-05-31", "2025-05-31 21:00:00", "2025-05-31", self.contract
        )
        (april | may).with_user(self.finance_user).action_prepare()
        self._perform(may.line_ids.job_uuid)
        self._perform(april.line_ids.job_uuid)
        self.assertAmount(may.line_ids.invoice_id.amount_total, M1)
        self.assertFalse(april.line_ids.invoice_id)
        self.assertIn("Nothing to bill", april.line_ids.reason)
        self._billed(self.m1, M1, "billed")
        self.assertEqual(self.m1.billed_share_ids.invoice_id, may.line_ids.invoice_id)

    def test_a_line_removed_from_the_draft_frees_its_milestone(self):
        """The M1 line (19,111.11) deleted from the run's draft invoice: M1 is accepted and
        unbilled again, the next month's run bills it."""
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-03-28")
        march = self._march()
        march.invoice_ids.with_user(self.finance_user).write(
            {"invoice_line_ids": [Command.delete(march.invoice_ids.invoice_line_ids.id)]}
        )
        self._billed(self.m1, 0.0, "accepted")
        self.assertAmount(self._april().invoice_ids.amount_total, M1)

    def test_time_on_a_fixed_fee_contract_is_cost_only(self):
        """An approved entry on C-300's project without any rate: a T&M contract would be
        blocked; the fixed-fee invoice holds only M1 (19,111.11) and the entry stays
        unbilled."""
        self._employee("Gina", self._role("Consultant"))
        self._ingest_time("P-300", [("t1", "Gina", "2025-03-27", 4.0, "2025-03-28T12:00:00Z")])
        entry = self._time("t1")
        self.assertEqual(entry.q2c_contract_id, self.contract)
        self.assertEqual(entry.q2c_billing_status, "no_rate")
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-03-28")
        march = self._march()
        self.assertEqual(march.line_ids.state, "done")
        self.assertInvoiceLines(march.invoice_ids, [("M1 Discovery", 1, M1, M1)])
        self.assertFalse(entry.q2c_invoice_line_id)

    def test_billed_shares_are_read_by_finance_and_the_auditor(self):
        """M1's share (19,111.11) is read by Finance and the Auditor, not by a project
        manager (invoice lines are Accounting's)."""
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-03-28")
        self._march()
        share = self.m1.billed_share_ids
        for user in (self.finance_user, self.auditor_user):
            self.assertAmount(share.with_user(user).amount, M1)
        with self.assertRaises(AccessError):
            share.with_user(self.pm_user).read(["amount"])

    def test_contracts_billed_on_milestone_acceptance_are_due_monthly(self):
        self.contract.billing_cycle = "milestone"
        due = self.env["q2c.billing.run"]._due_contracts(
            self.company, "monthly", "2025-03-01", "2025-03-31"
        )
        self.assertIn(self.contract, due)
        weekly = self.env["q2c.billing.run"]._due_contracts(
            self.company, "weekly", "2025-03-03", "2025-03-09"
        )
        self.assertNotIn(self.contract, weekly)
