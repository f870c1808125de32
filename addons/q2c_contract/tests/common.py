from contextlib import contextmanager

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import float_compare


@tagged("post_install", "-at_install")
class Q2cContractCase(TransactionCase):
    """Factories for contracts, rate cards and the people they price (USD, no demo data used)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.usd = cls.env.ref("base.USD")
        cls.usd.active = True
        # Demo data may hold a company default card; each test sets up its own.
        cls.env["q2c.rate.card"].search([("scope", "!=", "contract")]).active = False
        cls.customer = cls.env["res.partner"].create({"name": "Acme (test)", "is_company": True})
        cls.role_consultant = cls._create_role("Consultant")
        cls.role_senior = cls._create_role("Senior Consultant")
        cls.role_partner = cls._create_role("Partner")
        cls.pm_user = new_test_user(
            cls.env, login="q2c_pm", groups="q2c_contract.group_q2c_project_manager"
        )
        cls.other_pm_user = new_test_user(
            cls.env, login="q2c_other_pm", groups="q2c_contract.group_q2c_project_manager"
        )
        cls.finance_user = new_test_user(
            cls.env, login="q2c_finance", groups="q2c_contract.group_q2c_finance"
        )
        cls.auditor_user = new_test_user(
            cls.env, login="q2c_auditor", groups="q2c_base.group_auditor"
        )
        cls.project = cls._create_project("P-100 (test)", cls.pm_user)

    # ------------------------------------------------------------------ factories

    @classmethod
    def _create_role(cls, name):
        return cls.env["hr.job"].create({"name": f"{name} (q2c test)"})

    @classmethod
    def _create_employee(cls, name, role):
        return cls.env["hr.employee"].create({"name": name, "job_id": role.id})

    @classmethod
    def _create_project(cls, name, manager, **values):
        return cls.env["project.project"].create(
            {"name": name, "user_id": manager.id, "partner_id": cls.customer.id, **values}
        )

    @classmethod
    def _create_rate_card(cls, name, scope="contract", lines=(), **values):
        """`lines`: tuples (employee or role, rate, date_from, date_to or None)."""
        line_values = []
        for key, rate, date_from, date_to in lines:
            field = "employee_id" if key._name == "hr.employee" else "role_id"
            line_values.append(
                Command.create(
                    {field: key.id, "rate": rate, "date_from": date_from, "date_to": date_to}
                )
            )
        return cls.env["q2c.rate.card"].create(
            {
                "name": name,
                "scope": scope,
                "currency_id": cls.usd.id,
                "line_ids": line_values,
                **values,
            }
        )

    @classmethod
    def _create_contract(cls, **overrides):
        values = {
            "name": "Test contract",
            "partner_id": cls.customer.id,
            "currency_id": cls.usd.id,
            "billing_model": "time_and_materials",
            "project_ids": [Command.link(cls.project.id)],
            "user_id": cls.env.user.id,
        }
        values.update(overrides)
        return cls.env["q2c.contract"].create(values)

    @classmethod
    def _create_progress_contract(cls, sov, original_value=None, **overrides):
        """`sov`: (item_no, description, scheduled value) tuples; the contract sum is their sum."""
        lines = [
            Command.create(
                {"item_no": item, "name": name, "original_value": value, "sequence": index}
            )
            for index, (item, name, value) in enumerate(sov)
        ]
        total = original_value if original_value is not None else sum(v for _i, _n, v in sov)
        return cls._create_contract(
            billing_model="progress", original_value=total, sov_line_ids=lines, **overrides
        )

    # ------------------------------------------------------------------ assertions

    @contextmanager
    def assertRefused(self, exception, pattern):
        """Like assertRaisesRegex, inside Odoo's savepoint: what was refused is not written."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)

    def assertAmount(self, actual, expected, msg=None):
        """Money equality to the cent, compared with the currency's precision."""
        self.assertEqual(
            float_compare(actual, expected, precision_rounding=self.usd.rounding),
            0,
            msg or f"{actual:.2f} != {expected:.2f}",
        )
