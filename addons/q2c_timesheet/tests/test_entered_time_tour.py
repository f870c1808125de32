from odoo.tests import new_test_user, tagged

from .common import Q2cTimeCase


@tagged("post_install", "-at_install")
class TestEnteredTimeTour(Q2cTimeCase):
    """Issue 14, in the UI: an employee logs 2 hours on a contract's project in
    Timesheets > My Timesheets (company setting: approved by the project manager), the
    contract's manager approves them in Contracts > Time to Approve; the line is then to
    bill at the rate of today under the contract's card (170.00 from 2025-04-01):
    2.00 h x 170.00 = 340.00."""

    def test_employee_logs_and_project_manager_approves(self):
        self.env.company.q2c_time_approval = "project_manager"
        project = self.env["project.project"].create(
            {"name": "P-TOUR (test)", "partner_id": self.customer.id}
        )
        contract = self._create_tm_contract("C-TOUR", project)
        employee_user = new_test_user(
            self.env,
            login="q2c_tour_employee",
            password="q2c_tour_employee",
            groups="base.group_user,hr_timesheet.group_hr_timesheet_user",
        )
        self.env["hr.employee"].create(
            {"name": "Tour employee", "job_id": self.role.id, "user_id": employee_user.id}
        )
        pm = new_test_user(
            self.env,
            login="q2c_tour_pm",
            password="q2c_tour_pm",
            groups="base.group_user,q2c_contract.group_q2c_project_manager",
        )
        contract.user_id = pm
        self.start_tour("/odoo/timesheets", "q2c_entered_time_log", login=employee_user.login)
        line = self.env["account.analytic.line"].search([("project_id", "=", project.id)])
        self.assertEqual(len(line), 1)
        self.assertEqual(line.q2c_billing_status, "pending_approval")
        self.assertEqual(line.q2c_approval_state, "submitted")
        self.start_tour(
            "/odoo/action-q2c_timesheet.q2c_time_to_approve_action",
            "q2c_entered_time_approve",
            login=pm.login,
        )
        line.invalidate_recordset()
        self.assertEqual(line.unit_amount, 2.0)
        self.assertEqual(line.q2c_approval_state, "approved")
        self.assertEqual(line.q2c_approved_by_id, pm)
        self.assertEqual(line.q2c_billing_status, "to_bill")
        self.assertEqual(line.q2c_contract_id, contract)
        self.assertEqual(self.usd.compare_amounts(line.q2c_rate, 170.0), 0)
        self.assertEqual(self.usd.compare_amounts(line.q2c_bill_amount, 340.0), 0)
