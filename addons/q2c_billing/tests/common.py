from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.queue_job.job import Job
from odoo.tests import new_test_user, tagged
from odoo.tools import float_compare


@tagged("post_install", "-at_install")
class Q2cBillingCase(AccountTestInvoicingCommon):
    """A company with a chart of accounts (Odoo's invoicing test base), Finance, project
    manager and auditor users, a connected system whose entries are ingested the way
    q2c_timesheet and q2c_expense ingest them (rates and billed values stored at ingestion),
    and factories for roles, people, projects, contracts and runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Test data is set up as superuser (the base's user is an accountant without q2c
        # rights); every run is prepared, posted and cancelled as a q2c user.
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True), su=True)
        cls.currency = cls.env.company.currency_id
        # No tax in the golden cases (billing-domain.md 0): lines without a product take the
        # taxes of the sales journal's income account.
        cls.company_data["default_journal_sale"].default_account_id.tax_ids = False
        cls.env["q2c.rate.card"].search([("scope", "!=", "contract")]).active = False
        company = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.finance_user = new_test_user(
            cls.env, login="q2c_bill_finance", groups="q2c_contract.group_q2c_finance", **company
        )
        cls.pm_user = new_test_user(
            cls.env,
            login="q2c_bill_pm",
            groups="q2c_contract.group_q2c_project_manager",
            **company,
        )
        cls.auditor_user = new_test_user(
            cls.env,
            login="q2c_bill_auditor",
            groups="base.group_user,q2c_base.group_auditor",
            **company,
        )
        cls.integration_user = new_test_user(
            cls.env,
            login="q2c_bill_int",
            groups="base.group_user,q2c_base.group_integration_user",
            **company,
        )
        cls.system = cls.env["q2c.system"].create(
            {
                "name": "Time and expenses (billing test)",
                "system_type": "generic",
                "user_id": cls.integration_user.id,
                "company_id": cls.company.id,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Acme (billing test)",
                "is_company": True,
                "property_payment_term_id": cls.pay_terms_b.id,
            }
        )

    # ------------------------------------------------------------------ factories

    @classmethod
    def _role(cls, name):
        return cls.env["hr.job"].create({"name": name})

    @classmethod
    def _employee(cls, name, role):
        employee = cls.env["hr.employee"].create(
            {"name": name, "job_id": role.id, "company_id": cls.company.id}
        )
        cls.env["q2c.external.ref"]._bind(cls.system, "employee", f"u-{name}", employee)
        return employee

    @classmethod
    def _project(cls, key):
        project = cls.env["project.project"].create(
            {
                "name": f"{key} (billing test)",
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
            }
        )
        cls.env["q2c.external.ref"]._bind(cls.system, "project", key, project)
        return project

    @classmethod
    def _card(cls, name, lines, scope="contract"):
        """`lines`: (employee or role, rate, date_from, date_to or None)."""
        line_values = [
            Command.create(
                {
                    "employee_id" if key._name == "hr.employee" else "role_id": key.id,
                    "rate": rate,
                    "date_from": date_from,
                    "date_to": date_to,
                }
            )
            for key, rate, date_from, date_to in lines
        ]
        return cls.env["q2c.rate.card"].create(
            {
                "name": name,
                "scope": scope,
                "currency_id": cls.currency.id,
                "company_id": cls.company.id,
                "line_ids": line_values,
            }
        )

    @classmethod
    def _contract(cls, name, project, cards=(), **values):
        contract = cls.env["q2c.contract"].create(
            {
                "name": name,
                "partner_id": cls.customer.id,
                "currency_id": cls.currency.id,
                "company_id": cls.company.id,
                "billing_model": "time_and_materials",
                "billing_cycle": "monthly",
                "prebill_review_required": False,
                "project_ids": [Command.link(project.id)],
                "rate_card_ids": [Command.set([card.id for card in cards])],
                **values,
            }
        )
        contract.action_activate()
        return contract

    @classmethod
    def _ingest_time(cls, project_key, rows):
        """`rows`: (id, employee name, work date, hours, approved at)."""
        entries = [
            {
                "external_id": ext,
                "employee": f"u-{who}",
                "project": project_key,
                "date": day,
                "hours": hours,
                "description": "work",
                "approved_at": approved_at,
            }
            for ext, who, day, hours, approved_at in rows
        ]
        results = cls.env["account.analytic.line"].sudo()._q2c_ingest(cls.system, entries)
        assert all(r["status"] in ("created", "updated", "unchanged") for r in results), results
        return results

    def _time(self, external_id):
        return self.env["account.analytic.line"].search(
            [("q2c_system_id", "=", self.system.id), ("q2c_external_id", "=", external_id)]
        )

    # ------------------------------------------------------------------ runs

    def _new_run(self, date_from, date_to, cutoff, invoice_date, contracts=None, user=None):
        Run = self.env["q2c.billing.run"].with_user(user or self.finance_user)
        values = {
            "date_from": date_from,
            "date_to": date_to,
            "cutoff": cutoff,
            "invoice_date": invoice_date,
            "company_id": self.company.id,
        }
        if contracts is not None:
            values.update(selection="manual", contract_ids=[Command.set(contracts.ids)])
        return Run.create(values)

    def _perform(self, uuid):
        """Perform one queued job and store its outcome, as queue_job's runner does."""
        job = Job.load(self.env, uuid)
        job.set_started()
        job.store()
        job.perform()
        job.set_done()
        job.store()
        return job

    def _prepare(self, run):
        """Prepare as Finance, then perform every contract's job."""
        run.with_user(self.finance_user).action_prepare()
        for line in run.line_ids.filtered("job_uuid"):
            self._perform(line.job_uuid)
        run.invalidate_recordset()
        return run

    def _bill(self, *args, **kwargs):
        return self._prepare(self._new_run(*args, **kwargs))

    # ------------------------------------------------------------------ assertions

    def assertAmount(self, actual, expected, msg=None):
        self.assertEqual(
            float_compare(actual, expected, precision_rounding=self.currency.rounding),
            0,
            msg or f"{actual:.2f} != {expected:.2f}",
        )

    def assertInvoiceLines(self, invoice, expected):
        """`expected`: (name fragment, quantity, unit price, amount), in invoice order."""
        lines = invoice.invoice_line_ids.sorted("sequence")
        self.assertEqual(len(lines), len(expected), lines.mapped("name"))
        for line, (fragment, quantity, price, amount) in zip(lines, expected, strict=True):
            with self.subTest(line=line.name):
                self.assertIn(fragment, line.name)
                self.assertAmount(line.quantity, quantity)
                self.assertAmount(line.price_unit, price)
                self.assertAmount(line.price_subtotal, amount)
