from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import Q2cTimeCase


@tagged("post_install", "-at_install")
class TestEnteredTime(Q2cTimeCase):
    """Issue 14, time entered in Odoo itself: a timesheet logged in Odoo on a contract's
    project is priced from the contract's rate cards at its work date (billing-domain.md 1.1,
    GC-01) and approved per the company setting: when entered, or by the project manager.

    C-600 (Q2cTimeCase): Consultant 160.00 to 2025-03-31, 170.00 from 2025-04-01."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.project.privacy_visibility = "employees"
        cls.env.company.q2c_time_approval = "on_entry"
        cls.gina_user = new_test_user(
            cls.env,
            login="q2c_entered_gina",
            groups="base.group_user,hr_timesheet.group_hr_timesheet_user",
        )
        cls.gina.user_id = cls.gina_user
        cls.pm = new_test_user(
            cls.env,
            login="q2c_entered_pm",
            groups="base.group_user,q2c_contract.group_q2c_project_manager",
        )
        cls.other_pm = new_test_user(
            cls.env,
            login="q2c_entered_other_pm",
            groups="base.group_user,q2c_contract.group_q2c_project_manager",
        )
        cls.contract.user_id = cls.pm
        cls.plain_project = cls.env["project.project"].create(
            {"name": "No contract (test)", "privacy_visibility": "employees"}
        )

    def _log(self, day="2025-03-27", hours=2.0, user=None, **values):
        """A timesheet line logged in Odoo by Gina (her own user) on P-600."""
        Line = self.env["account.analytic.line"].with_user(user or self.gina_user)
        return Line.create(
            {
                "project_id": self.project.id,
                "date": day,
                "unit_amount": hours,
                "name": "entered in Odoo",
                **values,
            }
        ).sudo()

    def _set_mode(self, mode):
        self.env.company.q2c_time_approval = mode

    def test_approved_when_entered_at_the_rate_of_the_work_date(self):
        """Default setting. Worked by hand: 2.00 h on 2025-03-31 at 160.00 = 320.00;
        1.50 h on 2025-04-01 at 170.00 = 255.00 (the rate change of GC-12)."""
        march = self._log("2025-03-31", 2.0)
        april = self._log("2025-04-01", 1.5)
        for line, rate, amount in ((march, 160.0, 320.0), (april, 170.0, 255.0)):
            with self.subTest(date=line.date):
                self.assertEqual(line.employee_id, self.gina)
                self.assertEqual(line.q2c_contract_id, self.contract)
                self.assertEqual(line.q2c_approval_state, "approved")
                self.assertTrue(line.q2c_approved_at)
                self.assertEqual(line.q2c_billing_status, "to_bill")
                self.assertFalse(line.q2c_hold_reason)
                self.assertEqual(self.usd.compare_amounts(line.q2c_rate, rate), 0)
                self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, amount), 0)
        self.assertIn(
            march,
            self.env["account.analytic.line"].search(
                self.env["account.analytic.line"]._q2c_billable_domain(
                    self.contract, march.q2c_approved_at
                )
            ),
        )

    def test_employee_override_wins_and_rounds_half_up(self):
        """GC-01: an employee override on the contract beats the role's card line. Worked by
        hand: 1.25 h x 162.35 = 202.9375 -> 202.94 (half-up to the cent)."""
        self.env["q2c.rate.override"].create(
            {
                "contract_id": self.contract.id,
                "employee_id": self.gina.id,
                "rate": 162.35,
                "date_from": "2025-03-01",
            }
        )
        line = self._log("2025-03-20", 1.25)
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 162.35), 0)
        self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, 202.94), 0)
        self.assertTrue(line.q2c_rate_source)

    def test_repriced_when_date_employee_or_project_changes(self):
        """2.00 h on 2025-03-31 (160.00); moved to 2025-04-02: 170.00; given to Hal, who has
        an override of 190.00: 190.00; moved to a project without contract: none of q2c's."""
        self.env["q2c.rate.override"].create(
            {
                "contract_id": self.contract.id,
                "employee_id": self.hal.id,
                "rate": 190.0,
                "date_from": "2025-01-01",
            }
        )
        line = self._log("2025-03-31", 2.0)
        approved_at = line.q2c_approved_at
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 160.0), 0)
        line.with_user(self.gina_user).write({"date": "2025-04-02"})
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 170.0), 0)
        self.assertEqual(line.q2c_approved_at, approved_at, "an edit keeps the approval time")
        line.write({"employee_id": self.hal.id})
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 190.0), 0)
        self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, 380.0), 0)
        line.write({"project_id": self.plain_project.id})
        self.assertFalse(line.q2c_contract_id)
        self.assertFalse(line.q2c_billing_status)
        self.assertEqual(line.q2c_rate, 0.0)
        line.write({"project_id": self.project.id})
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 190.0), 0)

    def test_not_billable_and_no_rate(self):
        """Marked not billable: not billed. An employee whose role has no rate: held with
        the resolver's reason (never priced at 0.00)."""
        line = self._log()
        line.write({"q2c_billable": False})
        self.assertEqual(line.q2c_billing_status, "not_billable")
        line.write({"q2c_billable": True})
        self.assertEqual(line.q2c_billing_status, "to_bill")
        other_role = self.env["hr.job"].create({"name": "Partner (entered test)"})
        ivy = self.env["hr.employee"].create({"name": "Ivy", "job_id": other_role.id})
        held = self._log(user=self.env.user, employee_id=ivy.id)
        self.assertEqual(held.q2c_billing_status, "no_rate")
        self.assertEqual(held.q2c_contract_id, self.contract)
        self.assertIn("No rate for Ivy", held.q2c_hold_reason)
        self.assertTrue(
            held.q2c_hold_reason.endswith("the entry is not billed until then."),
            "the whole reason, not cut",
        )
        self.assertEqual(held.q2c_rate, 0.0)
        # The rate added, the contract's manager re-prices the held line (an employee may
        # not); 2.00 h x 210.00 = 420.00.
        self.card.line_ids = [
            Command.create({"role_id": other_role.id, "rate": 210.0, "date_from": "2025-01-01"})
        ]
        with self.assertRaises(AccessError):
            held.with_user(self.gina_user).action_q2c_reprice()
        self.assertTrue(held.with_user(self.pm).action_q2c_reprice())
        self.assertEqual(held.q2c_billing_status, "to_bill")
        self.assertEqual(self.usd.compare_amounts(held.q2c_bill_amount, 420.0), 0)

    def test_project_manager_mode(self):
        """Approved by the project manager: the line waits, already priced so the approver
        sees its value (2.00 h x 160.00 = 320.00); Gina may not approve her own time, a
        project manager of other projects does not see it, the contract's manager approves
        it: to bill, with who and when."""
        self._set_mode("project_manager")
        line = self._log()
        self.assertEqual(line.q2c_approval_state, "submitted")
        self.assertEqual(line.q2c_billing_status, "pending_approval")
        self.assertFalse(line.q2c_approved_at)
        self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, 320.0), 0)
        self.assertIn("Awaiting approval", line.q2c_hold_reason)
        with self.assertRaises(AccessError):
            line.with_user(self.gina_user).action_q2c_approve()
        with self.assertRaises(AccessError):
            line.with_user(self.other_pm).action_q2c_approve()
        self.assertFalse(
            self.env["account.analytic.line"]
            .with_user(self.other_pm)
            .search([("id", "=", line.id)])
        )
        self.assertEqual(
            self.env["account.analytic.line"]
            .with_user(self.pm)
            .search([("q2c_approval_state", "=", "submitted")]),
            line.with_env(self.env),
        )
        self.assertTrue(line.with_user(self.pm).action_q2c_approve())
        self.assertEqual(line.q2c_approval_state, "approved")
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(line.q2c_approved_by_id, self.pm)
        self.assertTrue(line.q2c_approved_at)
        self.assertFalse(line.q2c_hold_reason)
        with self.assertRaises(UserError):
            line.with_user(self.pm).action_q2c_approve()
        # Only the approval says who approved.
        with self.assertRaises(AccessError):
            line.with_user(self.gina_user).write({"q2c_approved_by_id": self.gina_user.id})
        self.assertEqual(line.q2c_approved_by_id, self.pm)

    def test_edit_after_approval_goes_back_to_pending(self):
        """Approved hours, date or employee edited again need a new approval; a new
        description does not. The project's manager (not the contract's) approves too."""
        self._set_mode("project_manager")
        self.project.user_id = self.other_pm
        line = self._log()
        line.with_user(self.other_pm).action_q2c_approve()
        self.assertEqual(line.q2c_billing_status, "to_bill")
        line.with_user(self.gina_user).write({"name": "better words"})
        self.assertEqual(line.q2c_approval_state, "approved")
        line.with_user(self.gina_user).write({"unit_amount": 3.0})
        self.assertEqual(line.q2c_approval_state, "submitted")
        self.assertEqual(line.q2c_billing_status, "pending_approval")
        self.assertFalse(line.q2c_approved_at)
        self.assertFalse(line.q2c_approved_by_id)
        line.with_user(self.pm).action_q2c_approve()
        self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, 480.0), 0)

    def test_billing_fields_are_not_typed_in(self):
        """The billing status, rate and approval of a line entered in Odoo are q2c's to
        write: the list and form show them read-only."""
        line = self._log()
        for view in ("hr_timesheet.hr_timesheet_line_tree", "hr_timesheet.hr_timesheet_line_form"):
            arch = self.env["account.analytic.line"].get_view(self.env.ref(view).id)["arch"]
            for name in ("q2c_billing_status", "q2c_rate", "q2c_approval_state"):
                with self.subTest(view=view, field=name):
                    self.assertRegex(arch, rf'name="{name}"[^>]*readonly="1"')
        self.assertEqual(line.q2c_billing_status, "to_bill")

    def test_many_lines_priced_with_a_fixed_number_of_queries(self):
        """Set-based: pricing 12 lines takes as many queries as pricing 3 (employees,
        projects, contracts and rates read once per distinct answer, the lines written once
        per distinct set of values), and a create of many lines prices them all."""
        Line = self.env["account.analytic.line"].with_user(self.time_user)

        def vals_list(count, **values):
            return [
                {
                    "project_id": self.project.id,
                    "employee_id": (self.gina, self.hal)[n % 2].id,
                    "date": ("2025-03-10", "2025-04-10")[n % 2],
                    "unit_amount": 1.0,
                    "name": f"line {n}",
                    **values,
                }
                for n in range(count)
            ]

        def pricing_queries(count):
            # Created as q2c's own code would (released, in a correction's context), the
            # lines are not priced at create; priced here on a cold cache.
            lines = (
                Line._q2c_guarded_env()
                .with_context(q2c_correction=True)
                .create(vals_list(count))
                .with_env(Line.env)
            )
            self.assertEqual(set(lines.mapped("q2c_billing_status")), {False})
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            lines._q2c_price_entered()
            queries = self.cr.sql_log_count - start
            self.assertEqual(set(lines.mapped("q2c_billing_status")), {"to_bill"})
            return queries

        pricing_queries(1)  # warm the registry's caches (rules, rate shapes' queries plans)
        self.assertEqual(pricing_queries(3), pricing_queries(12))
        lines = Line.create(vals_list(12))
        self.assertEqual(set(lines.mapped("q2c_billing_status")), {"to_bill"})
        self.assertEqual(sorted(set(lines.mapped("q2c_rate"))), [160.0, 170.0])

    def test_setting_in_the_timesheet_settings(self):
        settings = self.env["res.config.settings"].create({"q2c_time_approval": "project_manager"})
        settings.execute()
        self.assertEqual(self.env.company.q2c_time_approval, "project_manager")
        self.assertEqual(
            self.env["res.company"].create({"name": "New (entered test)"}).q2c_time_approval,
            "on_entry",
        )

    def test_task_timesheet_tab(self):
        """Logged in a task's timesheet tab (the task's one2many): priced the same way."""
        task = self.env["project.task"].create({"name": "Design", "project_id": self.project.id})
        task.write(
            {
                "timesheet_ids": [
                    Command.create(
                        {
                            "employee_id": self.gina.id,
                            "date": "2025-04-03",
                            "unit_amount": 2.0,
                            "name": "from the task",
                        }
                    )
                ]
            }
        )
        line = task.timesheet_ids
        self.assertEqual(line.q2c_contract_id, self.contract)
        self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, 340.0), 0)
