from contextlib import contextmanager

from freezegun import freeze_time

from odoo import Command
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase

# GC-06: the original schedule of values of K-900 (billing-domain.md section 5).
K900_SOV = (
    ("1", "General Conditions", 100000.00),
    ("2", "Sitework", 150000.00),
    ("3", "Concrete", 250000.00),
    ("4", "Structural Steel", 200000.00),
    ("5", "MEP", 220000.00),
    ("6", "Finishes", 80000.00),
)


class Q2cProgressCase(Q2cBillingCase):
    """Contract K-900 (billing-domain.md GC-06..GC-09) on a project managed by `pm_user`,
    in a company with a chart of accounts and a retainage receivable account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.q2c_co_finance_threshold = 0.0
        cls.company.q2c_co_segregation_of_duties = False
        cls.retainage_account = cls.env["account.account"].create(
            {
                "name": "Retainage Receivable (test)",
                "code": "132199",
                "account_type": "asset_current",
                "company_ids": [Command.set(cls.company.ids)],
            }
        )
        cls.company.q2c_retainage_account_id = cls.retainage_account
        cls.Application = cls.env["q2c.pay.application"]

    @classmethod
    def _k900(cls, name="K-900", sov=K900_SOV, **values):
        """A signed progress contract on its own project, managed by `pm_user`."""
        project = cls.env["project.project"].create(
            {
                "name": f"{name} site (progress test)",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "user_id": cls.pm_user.id,
            }
        )
        contract = cls.env["q2c.contract"].create(
            {
                "name": name,
                "code": name,
                "partner_id": cls.customer.id,
                "currency_id": cls.currency.id,
                "company_id": cls.company.id,
                "billing_model": "progress",
                "prebill_review_required": False,
                "project_ids": [Command.link(project.id)],
                "original_value": sum(v for _i, _n, v in sov),
                "retainage_percent": 10.0,
                "retainage_reduced_percent": 5.0,
                "retainage_threshold_percent": 50.0,
                "sov_line_ids": [
                    Command.create(
                        {"item_no": i, "name": n, "original_value": v, "sequence": index}
                    )
                    for index, (i, n, v) in enumerate(sov)
                ],
                **values,
            }
        )
        contract.action_activate()
        return contract

    def _sov(self, contract, item_no):
        return contract.sov_line_ids.filtered(lambda ln: ln.item_no == item_no)

    def _change_order(self, contract, day, lines, title="Change"):
        """An approved change order, approved on `day` by the project manager."""
        order = self.env["q2c.change.order"].create(
            {
                "contract_id": contract.id,
                "title": title,
                "line_ids": [
                    Command.create({"name": f"Line {i}", "quantity": 1.0, **line})
                    for i, line in enumerate(lines, 1)
                ],
            }
        )
        with freeze_time(day):
            order.with_user(self.pm_user).action_submit()
            order.with_user(self.pm_user).action_approve()
        self.assertEqual(order.state, "approved")
        return order

    def _prepare(self, contract, period_end, work=None, stored=None, user=None, **values):
        """A draft application with E (`work`) and F (`stored`) entered by item number."""
        app = self.Application.with_user(user or self.pm_user).create(
            {"contract_id": contract.id, "period_end": period_end, **values}
        )
        self._enter(app, work or {}, stored or {}, user=user)
        return app

    def _enter(self, app, work, stored, user=None):
        """E and F of each row in one write, as the form saves them."""
        rows = {line.item_no: line for line in app.line_ids}
        for item in set(work) | set(stored):
            values = {}
            if item in work:
                values["work_this_period"] = work[item]
            if item in stored:
                values["stored_now"] = stored[item]
            rows[item].with_user(user or self.pm_user).write(values)

    def _certify(self, app, post=True):
        """Submit (project manager), certify and invoice (Finance), post the invoice."""
        app.with_user(self.pm_user).action_submit()
        app.with_user(self.finance_user).action_certify()
        app.with_user(self.finance_user).action_create_invoice()
        if post:
            self.env["account.move"].browse(app.invoice_id.id).action_post()
        return app

    def _row(self, app, item):
        return app.line_ids.filtered(lambda ln: ln.item_no == item)

    def assertG702(self, app, expected):
        for name, amount in expected.items():
            with self.subTest(app=app.display_name, line=name):
                self.assertAmount(app[name], amount, f"{name}: {app[name]:.2f} != {amount:.2f}")

    @contextmanager
    def assertRefused(self, exception, pattern):
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)
