from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError

from .common import Q2cContractCase


class TestMilestoneAcceptance(Q2cContractCase):
    """GC-03: fixed fee, milestones, partial acceptance and deemed acceptance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project.allow_milestones = True
        cls.design_milestone = cls.env["project.milestone"].create(
            {"name": "Design", "project_id": cls.project.id}
        )
        cls.contract = cls._create_contract(
            name="C-300",
            billing_model="fixed_fee",
            original_value=95555.55,
            deemed_acceptance_days=10,
            milestone_ids=[
                Command.create({"sequence": 1, "name": "M1 Discovery", "percent": 20}),
                Command.create(
                    {
                        "sequence": 2,
                        "name": "M2 Design",
                        "percent": 30,
                        "project_milestone_id": cls.design_milestone.id,
                    }
                ),
                Command.create({"sequence": 3, "name": "M3 Delivery", "percent": 50}),
            ],
        )
        cls.contract.action_activate()
        cls.m1, cls.m2, cls.m3 = cls.contract.milestone_ids.sorted("sequence")

    def _submit(self, milestone, day):
        with freeze_time(day):
            milestone.action_submit()
        self.assertEqual(str(milestone.submitted_date), day)

    def _accept(self, milestone, day, share=100.0):
        milestone.write({"accepted_share": share, "accepted_date": day})
        milestone.action_accept()

    def _bill(self, cutoff):
        """What a billing run does with milestones: bill what is due, record it."""
        lines = {}
        for milestone in self.contract.milestone_ids:
            due = milestone._get_billable_amount(cutoff)
            if due:
                lines[milestone.name] = due
                milestone.billed_amount += due
        return lines

    def test_milestone_amounts_sum_to_the_fee(self):
        self.assertAmount(self.m1.amount, 19111.11)
        self.assertAmount(self.m2.amount, 28666.67)  # 28,666.665 half-up
        self.assertAmount(self.m3.amount, 47777.77)  # the remainder, not 47,777.78
        self.assertAmount(self.contract.milestone_total, 95555.55)

    def test_invoices_month_by_month(self):
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-03-28")
        self.assertEqual(self._bill("2025-03-31"), {"M1 Discovery": 19111.11})

        self._submit(self.m2, "2025-04-15")
        self._accept(self.m2, "2025-04-22", share=60.0)
        self.assertEqual(self.m2.state, "partially_accepted")
        self.assertEqual(self._bill("2025-04-30"), {"M2 Design": 17200.00})
        self.assertFalse(self.design_milestone.is_reached)

        self._accept(self.m2, "2025-05-15")
        self._submit(self.m3, "2025-05-26")
        may = self._bill("2025-05-31")
        self.assertEqual(may, {"M2 Design": 11466.67})  # remainder rule
        self.assertNotIn("M3 Delivery", may)
        self.assertTrue(self.design_milestone.is_reached)

        # The window passes with no rejection: deemed accepted on 05-26 + 10 days.
        self.env["q2c.contract.milestone"]._cron_deemed_acceptance(today="2025-06-05")
        self.assertEqual(self.m3.state, "accepted")
        self.assertTrue(self.m3.deemed)
        self.assertEqual(str(self.m3.accepted_date), "2025-06-05")
        self.assertEqual(self._bill("2025-06-30"), {"M3 Delivery": 47777.77})

        total = sum(self.contract.milestone_ids.mapped("billed_amount"))
        self.assertAmount(total, 95555.55)

    def test_deemed_acceptance_not_before_the_window(self):
        self._submit(self.m3, "2025-05-26")
        self.env["q2c.contract.milestone"]._cron_deemed_acceptance(today="2025-06-04")
        self.assertEqual(self.m3.state, "submitted")
        self.assertEqual(self.m3._get_billable_amount("2025-06-04"), 0.0)
        # A billing run after the window sees the deemed acceptance even before the cron.
        self.assertAmount(self.m3._get_billable_amount("2025-06-30"), 47777.77)

    def test_rejection_blocks_and_resubmission_restarts_the_clock(self):
        self._submit(self.m3, "2025-05-26")
        self.m3.action_reject()
        self.assertEqual(self.m3._get_billable_amount("2025-06-30"), 0.0)
        self._submit(self.m3, "2025-06-25")
        self.assertEqual(self.m3._get_billable_amount("2025-06-30"), 0.0)
        self.assertAmount(self.m3._get_billable_amount("2025-07-31"), 47777.77)

    def test_accepted_milestone_is_never_repriced(self):
        self._submit(self.m1, "2025-03-20")
        self._accept(self.m1, "2025-03-28")
        with self.assertRaises(UserError):
            self.m1.percent = 25
        self.assertAmount(self.m1.amount, 19111.11)

    def test_billing_goes_through_the_bill_and_unbill_transitions(self):
        """M2 (28,666.67) accepted at 60%: billing 17,200.00 keeps it partially accepted;
        accepted in full, the balance 11,466.67 makes it billed (28,666.67 in all); one cent
        more is refused; unbilling the balance makes it accepted again, 17,200.00 billed."""
        with self.assertRaisesRegex(UserError, "not accepted"):
            self.m2._bill(100.00)
        self._submit(self.m2, "2025-04-15")
        self._accept(self.m2, "2025-04-22", share=60.0)
        self.m2._bill(17200.00)
        self.assertEqual(self.m2.state, "partially_accepted")
        self._accept(self.m2, "2025-05-15")
        with self.assertRaisesRegex(UserError, "would bill"):
            self.m2._bill(11466.68)
        self.m2._bill(11466.67)
        self.assertEqual(self.m2.state, "billed")
        self.assertAmount(self.m2.billed_amount, 28666.67)
        self.assertAmount(self.m2._get_billable_amount("2025-05-31"), 0.0)
        with self.assertRaisesRegex(UserError, "already billed in full"):
            self.m2._bill(0.01)
        self.m2._unbill(11466.67)
        self.assertEqual(self.m2.state, "accepted")
        self.assertAmount(self.m2.billed_amount, 17200.00)
        self.assertAmount(self.m2._get_billable_amount("2025-05-31"), 11466.67)
