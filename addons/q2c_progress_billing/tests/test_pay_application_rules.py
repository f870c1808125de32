from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import Q2cProgressCase


@tagged("post_install", "-at_install")
class TestPayApplicationRules(Q2cProgressCase):
    """Bad input refused with a readable message and nothing changed (issue 15), the
    workflow (revision, void, certified amounts), numbering and rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract = cls._k900(name="K-901")

    def test_work_above_scheduled_value_is_refused(self):
        """Sitework is scheduled at 150,000.00: 150,000.01 to date is refused."""
        app = self._prepare(self.contract, "2025-04-30")
        row = self._row(app, "2")
        with self.assertRefused(ValidationError, "exceed its scheduled value"):
            row.with_user(self.pm_user).work_this_period = 150000.01
        self.assertAmount(row.work_this_period, 0.00)
        # Work and stored together count too: 140,000.00 + 10,000.01 stored.
        row.with_user(self.pm_user).work_this_period = 140000.00
        with self.assertRefused(ValidationError, "exceed its scheduled value"):
            row.with_user(self.pm_user).stored_now = 10000.01

    def test_percent_complete_sets_the_work_this_period(self):
        """GC-10's figure: 50% of 11,421.08 = round(5,710.54) and 10% retainage 571.05."""
        contract = self._k900(
            name="K-1000", sov=[("1", "Data outlets", 11421.08)], retainage_threshold_percent=0
        )
        app = self._prepare(contract, "2025-05-31")
        row = app.line_ids
        row.with_user(self.pm_user).work_percent = 50.0
        self.assertAmount(row.work_this_period, 5710.54)
        self.assertAmount(row.retainage, 571.05)
        self.assertAmount(app.payment_due, 5139.49)

    def test_negative_stored_material_is_refused(self):
        app = self._prepare(self.contract, "2025-04-30")
        with self.assertRefused(ValidationError, "cannot be negative"):
            self._row(app, "4").with_user(self.pm_user).stored_now = -1.00
        self.assertAmount(self._row(app, "4").stored_now, 0.00)

    def test_period_before_the_last_certified_one_is_refused(self):
        self._certify(self._prepare(self.contract, "2025-04-30", {"1": 1000.00}))
        for day in ("2025-04-30", "2025-04-15"):
            with self.assertRefused(UserError, "a new application covers a later period"):
                self._prepare(self.contract, day)
        self.assertEqual(
            self.Application.search_count([("contract_id", "=", self.contract.id)]), 1
        )

    def test_second_open_application_is_refused(self):
        self._prepare(self.contract, "2025-04-30")
        with self.assertRefused(UserError, "certify or void it"):
            self._prepare(self.contract, "2025-05-31")

    def test_certified_application_is_not_edited(self):
        app = self._prepare(self.contract, "2025-04-30", {"1": 1000.00})
        app.with_user(self.pm_user).action_submit()
        app.with_user(self.finance_user).action_certify()
        row = self._row(app, "1")
        with self.assertRefused(UserError, "is certified"):
            row.with_user(self.finance_user).work_this_period = 2000.00
        with self.assertRefused(UserError, "is certified"):
            row.with_user(self.finance_user).certified_work = 2000.00
        with self.assertRefused(UserError, "is certified"):
            app.with_user(self.finance_user).period_end = "2025-05-15"
        with self.assertRaises(AccessError):
            app.with_user(self.finance_user).write({"state": "draft"})
        self.assertAmount(row.work_this_period, 1000.00)
        self.assertAmount(app.payment_due, 900.00)
        self.assertEqual(app.state, "certified")

    def test_change_order_below_billed_is_refused(self):
        """Sitework certified at 120,000.05; a change order taking it to 100,000.00 is refused."""
        self._certify(self._prepare(self.contract, "2025-04-30", {"2": 120000.05}))
        line = self._sov(self.contract, "2")
        self.assertAmount(line.billed_amount, 120000.05)
        with self.assertRefused(ValidationError, "below the"):
            self._change_order(
                self.contract,
                "2025-05-10",
                [{"target": "sov_adjust", "sov_line_id": line.id, "unit_price": -50000.00}],
            )
        self.assertAmount(line.scheduled_value, 150000.00)

    def test_pending_change_order_never_appears(self):
        self.env["q2c.change.order"].create(
            {
                "contract_id": self.contract.id,
                "title": "Pending",
                "line_ids": [
                    (0, 0, {"name": "x", "quantity": 1, "unit_price": 5000, "target": "sov_new"})
                ],
            }
        )
        app = self._prepare(self.contract, "2025-04-30")
        self.assertEqual(len(app.line_ids), 6)
        self.assertAmount(app.contract_sum, 1000000.00)

    def test_change_order_approved_after_the_period_waits(self):
        """A change order approved on 2025-05-20 is not in the application to 2025-04-30,
        even when the application is prepared later; it is in the next one."""
        self._change_order(
            self.contract, "2025-05-20", [{"target": "sov_new", "unit_price": 45000.00}]
        )
        app = self._certify(self._prepare(self.contract, "2025-04-30", {"1": 100.00}))
        self.assertEqual(len(app.line_ids), 6)
        self.assertAmount(app.change_sum, 0.00)
        app2 = self._prepare(self.contract, "2025-05-31")
        self.assertEqual(len(app2.line_ids), 7)
        self.assertAmount(app2.co_month_additions, 45000.00)

    def test_change_order_in_the_period_refreshes_a_draft(self):
        app = self._prepare(self.contract, "2025-05-31", {"1": 100.00})
        self._change_order(
            self.contract, "2025-05-20", [{"target": "sov_new", "unit_price": 45000.00}]
        )
        self.assertEqual(len(app.line_ids), 6)
        app.with_user(self.pm_user).action_refresh_lines()
        self.assertEqual(len(app.line_ids), 7)
        self.assertAmount(app.contract_sum, 1045000.00)
        self.assertAmount(self._row(app, "1").work_this_period, 100.00)

    def test_certified_amount_differs_from_applied(self):
        """Applied 20,000.00 on line 1, certified 15,000.00: L8 applied 18,000.00, certified
        13,500.00; the invoice and the next application's D and line 7 use the certified."""
        app = self._prepare(self.contract, "2025-04-30", {"1": 20000.00})
        app.with_user(self.pm_user).action_submit()
        self._row(app, "1").with_user(self.finance_user).certified_work = 15000.00
        app.with_user(self.finance_user).certification_note = "Only 15,000.00 in place"
        app.with_user(self.finance_user).action_certify()
        self.assertAmount(app.payment_due, 18000.00)
        self.assertAmount(app.amount_certified, 13500.00)
        self.assertAmount(self._row(app, "1").work_this_period, 20000.00)
        app.with_user(self.finance_user).action_create_invoice()
        self.assertAmount(app.invoice_id.amount_total, 13500.00)
        app2 = self._prepare(self.contract, "2025-05-31")
        self.assertAmount(self._row(app2, "1").previous_completed, 15000.00)
        self.assertAmount(app2.previous_certificates, 13500.00)

    def test_revision_supersedes_and_keeps_the_number(self):
        app = self._prepare(self.contract, "2025-04-30", {"1": 1000.00})
        app.with_user(self.pm_user).action_submit()
        app.with_user(self.pm_user).action_revise()
        self.assertEqual(app.state, "superseded")
        new = self.Application.search(
            [("contract_id", "=", self.contract.id), ("state", "=", "draft")]
        )
        self.assertEqual((new.number, new.revision, new.revision_of_id), (1, 1, app))
        self.assertAmount(self._row(new, "1").work_this_period, 1000.00)
        with self.assertRefused(UserError, "superseded"):
            self._row(app, "1").with_user(self.pm_user).work_this_period = 5.00
        with self.assertRefused(UserError, "superseded"):
            app.with_user(self.pm_user).action_submit()

    def test_void_needs_a_reason_and_gives_back_the_billed(self):
        app = self._prepare(self.contract, "2025-04-30", {"2": 1000.00})
        app.with_user(self.pm_user).action_submit()
        app.with_user(self.finance_user).action_certify()
        self.assertAmount(self._sov(self.contract, "2").billed_amount, 1000.00)
        with self.assertRefused(UserError, "Write why"):
            app.with_user(self.finance_user).action_void()
        app.with_user(self.finance_user).action_void("Wrong period")
        self.assertEqual((app.state, app.void_reason), ("void", "Wrong period"))
        self.assertAmount(self._sov(self.contract, "2").billed_amount, 0.00)
        again = self._prepare(self.contract, "2025-04-30")
        self.assertEqual(again.number, 2)

    def test_invoiced_application_is_not_voided(self):
        app = self._certify(self._prepare(self.contract, "2025-04-30", {"1": 10.00}))
        with self.assertRefused(UserError, "cannot be voided"):
            app.with_user(self.finance_user).action_void("Too late")

    def test_numbers_are_decided_by_the_database(self):
        app = self._prepare(self.contract, "2025-04-30")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env.cr.execute(
                "INSERT INTO q2c_pay_application (contract_id, company_id, number, revision, "
                "period_end, state, kind) VALUES (%s, %s, 1, 0, '2025-05-31', 'void', "
                "'progress')",
                [self.contract.id, self.company.id],
            )
        self.assertEqual(app.number, 1)

    def test_roles(self):
        """The project manager prepares and submits, Finance certifies and invoices, the
        auditor reads; another project's manager sees nothing."""
        app = self._prepare(self.contract, "2025-04-30", {"1": 10.00})
        with self.assertRaises(AccessError):
            app.with_user(self.pm_user).action_void("No")
        app.with_user(self.pm_user).action_submit()
        with self.assertRaises(AccessError):
            app.with_user(self.pm_user).action_certify()
        with self.assertRaises(AccessError):
            app.with_user(self.auditor_user).action_certify()
        self.assertEqual(app.with_user(self.auditor_user).payment_due, app.payment_due)
        other = self.env["res.users"].create(
            {
                "name": "Other PM",
                "login": "q2c_progress_other_pm",
                "groups_id": [(6, 0, [self.env.ref("q2c_contract.group_q2c_project_manager").id])],
                "company_id": self.company.id,
                "company_ids": [(6, 0, self.company.ids)],
            }
        )
        self.assertFalse(self.Application.with_user(other).search([("id", "=", app.id)]))
        app.with_user(self.finance_user).action_certify()
        self.assertEqual(app.state, "certified")

    def test_other_company_does_not_see_the_application(self):
        """Multi-company: a Finance user of another company finds neither the application
        nor its rows."""
        app = self._prepare(self.contract, "2025-04-30", {"1": 10.00})
        other = self.env["res.company"].create({"name": "Other builder (progress test)"})
        finance_b = self.env["res.users"].create(
            {
                "name": "Finance B",
                "login": "q2c_progress_finance_b",
                "groups_id": [(6, 0, [self.env.ref("q2c_contract.group_q2c_finance").id])],
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
            }
        )
        self.assertFalse(self.Application.with_user(finance_b).search([("id", "=", app.id)]))
        Line = self.env["q2c.pay.application.line"].with_user(finance_b)
        self.assertFalse(Line.search([("id", "in", app.line_ids.ids)]))
        self.assertTrue(
            self.Application.with_user(self.finance_user).search([("id", "=", app.id)])
        )
