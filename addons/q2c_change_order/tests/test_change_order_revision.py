from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError

from .common import Q2cChangeOrderCase


class TestChangeOrderRevision(Q2cChangeOrderCase):
    """GC-10: a change order revised once, then approved, with OH&P then bond markups."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        project = cls._create_project("K-1000 (test)", cls.pm_user)
        cls.k1000 = cls._create_progress_contract(
            [("1", "Base building", 500000.00)],
            name="K-1000",
            retainage_percent=10.0,
            project_ids=[Command.set(project.ids)],
        )
        cls.k1000.action_activate()
        cls.k1000_project = project

    def _cor(self, labor_hours, ohp):
        return self._create_change_order(
            [
                {
                    "name": "Labor",
                    "category": "labor",
                    "target": "sov_new",
                    "quantity": labor_hours,
                    "unit_price": 95.00,
                    "unit_cost": 58.00,
                },
                {
                    "name": "Material",
                    "category": "material",
                    "target": "sov_new",
                    "quantity": 24.0,
                    "unit_price": 175.00,
                    "unit_cost": 175.00,
                },
            ],
            contract=self.k1000,
            title="Additional data outlets",
            ohp_percent=ohp,
            bond_percent=1.0,
            date="2025-05-06",
        )

    def test_revised_once_then_approved(self):
        rev0 = self._cor(80.0, 15.0)
        self.assertAmount(rev0.amount_direct, 11800.00)
        self.assertAmount(rev0.amount_markup, 1905.70)  # 1,770.00 + 135.70
        self.assertAmount(rev0.amount_total, 13705.70)
        rev0.with_user(self.pm_user).action_submit()
        self.assertAmount(self.k1000.pending_change_amount, 13705.70)

        # 2025-05-09: the owner asks for 64 h and OH&P capped at 10%.
        action = rev0.with_user(self.pm_user).action_revise("labor 64 h; OH&P capped at 10%")
        rev1 = self.ChangeOrder.browse(action["res_id"])
        rev1.write({"ohp_percent": 10.0, "date": "2025-05-12"})
        rev1.line_ids.filtered(lambda ln: ln.category == "labor").quantity = 64.0
        rev1.with_user(self.pm_user).action_submit()
        self.assertAmount(rev1.amount_direct, 10280.00)
        self.assertAmount(rev1.amount_markup, 1141.08)  # 1,028.00 + 113.08
        self.assertAmount(rev1.amount_total, 11421.08)
        self.assertEqual(rev0.state, "superseded")
        self.assertAmount(self.k1000.pending_change_amount, 11421.08)

        with self.assertRefused(UserError, "only a submitted change order can be approved"):
            self._approve(rev0)
        with freeze_time("2025-05-20"):
            self._approve(rev1)
        self.assertEqual(str(rev1.date_approved), "2025-05-20")
        self.assertAmount(self.k1000.pending_change_amount, 0.00)

        # Contract and SOV.
        self.assertAmount(self.k1000.original_value, 500000.00)
        self.assertAmount(self.k1000.approved_change_amount, 11421.08)
        self.assertAmount(self.k1000.current_value, 511421.08)
        sov_line = rev1.sov_line_ids
        self.assertEqual(sov_line.name, "CO-001 Additional data outlets")
        self.assertAmount(sov_line.scheduled_value, 11421.08)
        self.assertAmount(sov_line.billed_amount, 0.00)
        self.assertEqual(sov_line.change_order_id, rev1)
        self.assertAmount(self.k1000.sov_total, 511421.08)

        # Budget: cost 3,712.00 + 4,200.00 + bond 113.08; revenue the price.
        self.assertAmount(rev1.approved_cost, 8025.08)
        project = self.k1000_project
        self.assertAmount(project.q2c_revenue_budget_revised, 11421.08)
        self.assertAmount(project.q2c_cost_budget_revised, 8025.08)
        self.assertAmount(project.q2c_budget_margin, 3396.00)
        margin_pct = project.q2c_budget_margin / project.q2c_revenue_budget_revised * 100
        self.assertEqual(f"{margin_pct:.2f}", "29.73")

        # Audit: both revisions kept, the approval names revision 1 and its amount.
        self.assertEqual(rev1._revisions(), rev0 | rev1)
        self.assertIn("11,421.08", rev1.message_ids[0].body)
        self.assertIn("511,421.08", rev1.message_ids[0].body)
        self.assertIn("13,705.70", rev0.message_ids[0].body)  # "superseded ... replaces"

        # Negative checks.
        with self.assertRefused(UserError, "can no longer be edited"):
            rev1.line_ids[0].quantity = 70.0
        with self.assertRefused(UserError, "is never deleted"):
            rev1.unlink()
