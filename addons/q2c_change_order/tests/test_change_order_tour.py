from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestChangeOrderTour(HttpCase):
    """A project manager's path (issue 13): from a signed contract, New Change Order, a value
    change, save, submit; under segregation of duties the contract manager (another project
    manager) approves it with a confirmation, and the contract value moves by the amount."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        company = cls.env.company
        company.q2c_co_finance_threshold = 0.0
        company.q2c_co_segregation_of_duties = True
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        groups = "base.group_user,q2c_contract.group_q2c_project_manager"
        cls.pm = new_test_user(
            cls.env, login="q2c_tour_pm", password="q2c_tour_pm", groups=groups, name="Pat PM"
        )
        cls.contract_manager = new_test_user(
            cls.env,
            login="q2c_tour_cm",
            password="q2c_tour_cm",
            groups=groups,
            name="Chris Contracts",
        )
        customer = cls.env["res.partner"].create({"name": "Tour client", "is_company": True})
        project = cls.env["project.project"].create(
            {"name": "Tour project", "user_id": cls.pm.id, "partner_id": customer.id}
        )
        cls.contract = cls.env["q2c.contract"].create(
            {
                "name": "Tour advisory",
                "partner_id": customer.id,
                "currency_id": cls.usd.id,
                "company_id": company.id,
                "billing_model": "time_and_materials",
                "project_ids": [Command.link(project.id)],
                "user_id": cls.contract_manager.id,
                "original_value": 100000.00,
            }
        )
        cls.contract.action_activate()

    def test_project_manager_requests_another_person_approves(self):
        self.start_tour(
            f"/odoo/action-q2c_contract.q2c_contract_action/{self.contract.id}",
            "q2c_change_order_request",
            login="q2c_tour_pm",
        )
        order = self.contract.change_order_ids
        self.assertEqual(len(order), 1)
        self.assertEqual(order.state, "submitted")
        self.assertEqual((order.user_id, order.submitted_by_id), (self.pm, self.pm))
        self.assertEqual(order.line_ids.target, "contract_value")
        currency = self.contract.currency_id
        self.assertFalse(currency.compare_amounts(order.amount_total, 1500.00))
        # The requester could not have approved it, whatever the screen offered.
        as_pm = order.with_user(self.pm)
        self.assertFalse(as_pm.can_approve)
        with self.assertRaises(AccessError):
            as_pm.action_approve()
        self.assertEqual(order.state, "submitted")

        self.start_tour(
            f"/odoo/action-q2c_change_order.q2c_change_order_action/{order.id}",
            "q2c_change_order_approve",
            login="q2c_tour_cm",
        )
        order.invalidate_recordset()
        self.contract.invalidate_recordset()
        self.assertEqual(order.state, "approved")
        self.assertEqual(order.pm_approved_by_id, self.contract_manager)
        self.assertFalse(currency.compare_amounts(self.contract.current_value, 101500.00))
        self.assertFalse(currency.compare_amounts(self.contract.approved_change_amount, 1500.00))
