from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWipTour(HttpCase):
    """A project manager's path (billing-domain.md 1.7): Contracts > Reporting > WIP, the
    as-of date 2026-04-30, Show WIP: the pivot of their own contract only, 2 h x 150.00 =
    300.00 approved and unbilled, without the cost; the other manager's contract is not
    shown."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        groups = "base.group_user,q2c_contract.group_q2c_project_manager"
        cls.pm = new_test_user(
            cls.env, login="q2c_wip_tour_pm", password="q2c_wip_tour_pm", groups=groups
        )
        customer = cls.env["res.partner"].create({"name": "Tour WIP client", "is_company": True})
        employee = cls.env["hr.employee"].create({"name": "Tour consultant", "hourly_cost": 40})
        usd = cls.env.ref("base.USD")
        usd.active = True
        # The time comes from a connected system (priced by it): time entered in Odoo would
        # be priced from the contract's rate cards instead.
        source = cls.env["q2c.system"].create(
            {"name": "Tour WIP source", "system_type": "generic"}
        )
        for name, manager in (("Tour WIP mine", cls.pm), ("Tour WIP other", cls.env.user)):
            project = cls.env["project.project"].create(
                {"name": name, "user_id": manager.id, "partner_id": customer.id}
            )
            contract = cls.env["q2c.contract"].create(
                {
                    "name": name,
                    "partner_id": customer.id,
                    "currency_id": usd.id,
                    "billing_model": "time_and_materials",
                    "project_ids": [Command.link(project.id)],
                }
            )
            contract.action_activate()
            cls.env["account.analytic.line"].create(
                {
                    "name": "Workshop",
                    "q2c_system_id": source.id,
                    "q2c_external_id": f"tour-{name}",
                    "project_id": project.id,
                    "employee_id": employee.id,
                    "date": "2026-04-20",
                    "unit_amount": 2.0,
                    "q2c_contract_id": contract.id,
                    "q2c_rate": 150.0,
                    "q2c_approval_state": "approved",
                    "q2c_approved_at": "2026-04-21 09:00:00",
                    "q2c_billing_status": "to_bill",
                }
            )

    def test_project_manager_reads_wip_as_of_a_date(self):
        self.start_tour(
            "/odoo/action-q2c_billing_report.q2c_wip_wizard_action",
            "q2c_wip_as_of",
            login="q2c_wip_tour_pm",
        )
        wizard = self.env["q2c.wip.wizard"].search([("create_uid", "=", self.pm.id)])
        self.assertEqual(str(wizard.as_of_date), "2026-04-30")
