from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import Q2cProgressCase


@tagged("post_install", "-at_install")
class TestPayApplicationChanges(Q2cProgressCase):
    """Change orders in the pay application (billing-domain.md 2.5): GC-10's change order
    revised once then approved and billed in the same period, and a construction change
    directive billable before its change order is signed."""

    def _k1000(self, name):
        return self._k900(
            name=name,
            sov=[("1", "Base building", 500000.00)],
            retainage_percent=10.0,
            retainage_threshold_percent=0.0,
        )

    def _cor(self, contract, labor_hours, ohp, date="2025-05-06"):
        """GC-10's COR-101: labor at 95.00 an hour, 24 outlets at 175.00, OH&P then bond 1%."""
        return self.env["q2c.change.order"].create(
            {
                "contract_id": contract.id,
                "title": "Additional data outlets",
                "ohp_percent": ohp,
                "bond_percent": 1.0,
                "date": date,
                "line_ids": [
                    Command.create(
                        {
                            "name": "Labor",
                            "category": "labor",
                            "target": "sov_new",
                            "quantity": labor_hours,
                            "unit_price": 95.00,
                            "unit_cost": 58.00,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Material",
                            "category": "material",
                            "target": "sov_new",
                            "quantity": 24.0,
                            "unit_price": 175.00,
                            "unit_cost": 175.00,
                        }
                    ),
                ],
            }
        )

    def _revise(self, order, labor_hours, ohp):
        """Revision n + 1 with the owner's figures, submitted (n is then superseded)."""
        action = order.with_user(self.pm_user).action_revise("labor 64 h; OH&P capped at 10%")
        new = self.env["q2c.change.order"].browse(action["res_id"])
        new.write({"ohp_percent": ohp})
        new.line_ids.filtered(lambda ln: ln.category == "labor").quantity = labor_hours
        new.with_user(self.pm_user).action_submit()
        return new

    def test_gc10_pay_application(self):
        """GC-10, "Pay application": COR-101 rev 0 (13,705.70) revised to rev 1 = 6,080.00 +
        4,200.00 = 10,280.00; OH&P 10% 1,028.00 -> 11,308.00; bond 1% 113.08 -> 11,421.08,
        approved 2025-05-20. The application to 2025-05-31 has the new line (D = 0.00) with
        50% done: E = round(11,421.08 x 50%) = 5,710.54; I = round(571.054) = 571.05;
        L2 = 11,421.08 (approved this month), L3 = 511,421.08, L4 = 5,710.54, L5 = 571.05,
        L6 = L8 = 5,710.54 - 571.05 = 5,139.49, L9 = 511,421.08 - 5,139.49 = 506,281.59;
        the invoice totals 5,139.49."""
        contract = self._k1000("K-1000")
        rev0 = self._cor(contract, 80.0, 15.0)
        rev0.with_user(self.pm_user).action_submit()
        self.assertAmount(rev0.amount_total, 13705.70)
        rev1 = self._revise(rev0, 64.0, 10.0)
        self.assertAmount(rev1.amount_total, 11421.08)
        with freeze_time("2025-05-20"):
            rev1.with_user(self.pm_user).action_approve()
        app = self._prepare(contract, "2025-05-31")
        self.assertEqual(app.line_ids.mapped("item_no"), ["1", "2"])
        row = self._row(app, "2")
        self.assertEqual(row.name, f"{rev1.name} Additional data outlets")
        self.assertEqual(row.sov_line_id.change_order_id, rev1)
        self.assertAmount(row.previous_completed, 0.00)
        row.with_user(self.pm_user).work_percent = 50.0
        self.assertAmount(row.work_this_period, 5710.54)
        self.assertAmount(row.retainage, 571.05)
        self.assertG702(
            app,
            {
                "original_sum": 500000.00,
                "change_sum": 11421.08,
                "co_month_additions": 11421.08,
                "co_previous_additions": 0.00,
                "co_net": 11421.08,
                "contract_sum": 511421.08,
                "total_completed": 5710.54,
                "retainage_total": 571.05,
                "earned_less_retainage": 5139.49,
                "previous_certificates": 0.00,
                "payment_due": 5139.49,
                "balance_to_finish": 506281.59,
            },
        )
        self._certify(app)
        self.assertAmount(app.invoice_id.sudo().amount_total, 5139.49)

    def test_directive_billed_before_its_change_order_is_signed(self):
        """2.5 (A201 §7.3.9): COR-101 rev 0 is pending; the owner directs the work on
        2025-05-09 with 11,000.00 undisputed. Application 1 (to 2025-05-31, the change
        order still pending): the directive's line, C = 11,000.00, E = 5,500.00 (50%),
        I = 550.00; L2 = 11,000.00 (this month), L3 = 511,000.00, L4 = 5,500.00,
        L6 = L8 = 4,950.00, L9 = 511,000.00 - 4,950.00 = 506,050.00. A pending change order
        without a directive stays out. The contract's value does not move (3.1: only an
        approved change does).

        Rev 1 (11,421.08) approved 2025-06-10: the same line becomes the change order's,
        C = 11,421.08, D = 5,500.00. Application 2 (to 2025-06-30), the rest done:
        E = 5,921.08, G = 11,421.08, I = round(1,142.108) = 1,142.11; box: previous
        11,000.00 + this month 421.08 = L2 11,421.08; L3 = 511,421.08; L6 = 11,421.08 -
        1,142.11 = 10,278.97; L7 = 4,950.00; L8 = 5,328.97 (= dL4 5,921.08 - dL5 592.11)."""
        contract = self._k1000("K-1001")
        rev0 = self._cor(contract, 80.0, 15.0)
        rev0.with_user(self.pm_user).action_submit()
        rev0.with_user(self.pm_user).directive_amount = 11000.00
        with freeze_time("2025-05-09"):
            rev0.with_user(self.pm_user).action_issue_directive()
        line = rev0.directive_sov_line_id
        self.assertTrue(line.ccd)
        self.assertEqual(str(line.ccd_date), "2025-05-09")
        self.assertAmount(line.scheduled_value, 0.00)
        self.assertAmount(contract.current_value, 500000.00)
        with self.assertRefused(UserError, "was issued"):
            rev0.with_user(self.pm_user).directive_amount = 12000.00
        pending = self._cor(contract, 10.0, 10.0)
        pending.with_user(self.pm_user).action_submit()

        app1 = self._prepare(contract, "2025-05-31")
        self.assertEqual(app1.line_ids.mapped("item_no"), ["1", "2"])
        row = self._row(app1, "2")
        self.assertTrue(row.is_directive)
        self.assertAmount(row.scheduled_value, 11000.00)
        row.with_user(self.pm_user).work_percent = 50.0
        self.assertAmount(row.work_this_period, 5500.00)
        self.assertG702(
            app1,
            {
                "change_sum": 11000.00,
                "co_month_additions": 11000.00,
                "contract_sum": 511000.00,
                "total_completed": 5500.00,
                "retainage_total": 550.00,
                "payment_due": 4950.00,
                "balance_to_finish": 506050.00,
            },
        )
        self._certify(app1)
        self.assertAmount(app1.invoice_id.sudo().amount_total, 4950.00)
        # The contract's Balance to Finish is line 9 (the directive included), not its
        # current value less billed: 500,000.00 - 5,500.00 = 494,500.00.
        self.assertAmount(contract.progress_balance_to_finish, 506050.00)
        self.assertAmount(line.billed_amount, 5500.00)
        # Billed under the directive: the change order is not voided any more.
        with self.assertRefused(UserError, "billed"):
            rev0.with_user(self.finance_user).action_void("Dispute")

        rev1 = self._revise(rev0, 64.0, 10.0)
        with freeze_time("2025-06-10"):
            rev1.with_user(self.pm_user).action_approve()
        self.assertEqual(rev1.sov_line_ids, line)
        self.assertFalse(line.ccd)
        self.assertAmount(line.scheduled_value, 11421.08)
        self.assertAmount(contract.current_value, 511421.08)

        app2 = self._prepare(contract, "2025-06-30")
        self.assertEqual(app2.line_ids.mapped("item_no"), ["1", "2"])
        row = self._row(app2, "2")
        self.assertFalse(row.is_directive)
        self.assertAmount(row.scheduled_value, 11421.08)
        self.assertAmount(row.previous_completed, 5500.00)
        row.with_user(self.pm_user).work_this_period = 5921.08
        self.assertAmount(row.retainage, 1142.11)
        self.assertG702(
            app2,
            {
                "change_sum": 11421.08,
                "co_previous_additions": 11000.00,
                "co_month_additions": 421.08,
                "co_net": 11421.08,
                "contract_sum": 511421.08,
                "total_completed": 11421.08,
                "retainage_total": 1142.11,
                "earned_less_retainage": 10278.97,
                "previous_certificates": 4950.00,
                "payment_due": 5328.97,
                "balance_to_finish": 501142.11,
            },
        )
        self._certify(app2)
        self.assertAmount(app2.invoice_id.sudo().amount_total, 5328.97)

    def test_approval_below_the_directive_billed_is_refused(self):
        """11,000.00 undisputed and billed in full; a revision priced at 5,000.00 cannot be
        approved (2.1: a change never takes a line below what was billed on it)."""
        contract = self._k1000("K-1002")
        rev0 = self._cor(contract, 80.0, 15.0)
        rev0.with_user(self.pm_user).action_submit()
        with freeze_time("2025-05-09"):
            rev0.with_user(self.pm_user).action_issue_directive(amount=11000.00)
        self._certify(self._prepare(contract, "2025-05-31", {"2": 11000.00}))
        action = rev0.with_user(self.pm_user).action_revise("Owner's price")
        rev1 = self.env["q2c.change.order"].browse(action["res_id"])
        rev1.line_ids.filtered(lambda ln: ln.category == "labor").unlink()
        rev1.write({"ohp_percent": 0.0, "bond_percent": 0.0})
        rev1.line_ids.unit_price = 5000.00 / 24.0
        rev1.with_user(self.pm_user).action_submit()
        with self.assertRefused(ValidationError, "below the"):
            rev1.with_user(self.pm_user).action_approve()
        self.assertAmount(rev0.directive_sov_line_id.scheduled_value, 0.00)
        self.assertTrue(rev0.directive_sov_line_id.ccd)

    def test_directive_bad_input_and_void(self):
        """No directive above the amount requested, or on a draft; voiding a change order
        whose directive was not billed takes its line off the next application."""
        contract = self._k1000("K-1003")
        order = self._cor(contract, 80.0, 15.0)
        with self.assertRefused(UserError, "waiting for approval"):
            order.with_user(self.pm_user).action_issue_directive(amount=100.00)
        order.with_user(self.pm_user).action_submit()
        with self.assertRefused(ValidationError, "more than the amount requested"):
            order.with_user(self.pm_user).action_issue_directive(amount=13705.71)
        with self.assertRefused(ValidationError, "undisputed amount"):
            order.with_user(self.pm_user).action_issue_directive()
        self.assertFalse(order.directive_sov_line_id)
        with freeze_time("2025-05-09"):
            order.with_user(self.pm_user).action_issue_directive(amount=10000.00)
        self.assertEqual(len(self._prepare(contract, "2025-05-31").line_ids), 2)
        self.Application.search([("contract_id", "=", contract.id)]).unlink()
        order.with_user(self.finance_user).action_void("Owner withdrew the directive")
        self.assertFalse(order.directive_sov_line_id.active)
        app = self._prepare(contract, "2025-05-31")
        self.assertEqual(len(app.line_ids), 1)
        self.assertAmount(app.contract_sum, 500000.00)
