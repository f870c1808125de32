from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import Q2cBillingCase


@tagged("post_install", "-at_install")
class TestBillingSecurity(Q2cBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        card = cls._card("C-900 card", [(cls.consultant, 160.0, "2025-01-01", None)])
        cls.contract = cls._contract("C-900", cls._project("P-900"), cards=card)
        cls._ingest_time("P-900", [("s1", "Gina", "2025-03-27", 1.0, "2025-03-31T12:00:00Z")])

    def test_project_manager_cannot_create_prepare_or_post(self):
        with self.assertRaises(AccessError):
            self._new_run(
                "2025-03-01",
                "2025-03-31",
                False,
                "2025-04-03",
                contracts=self.contract,
                user=self.pm_user,
            )
        run = self._new_run(
            "2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract
        )
        with self.assertRaises(AccessError):
            run.with_user(self.pm_user).action_prepare()
        self._prepare(run)
        with self.assertRaises(AccessError):
            run.with_user(self.pm_user).action_post()
        with self.assertRaises(AccessError):
            run.with_user(self.pm_user).read(["name"])

    def test_finance_views_load(self):
        Run = self.env["q2c.billing.run"].with_user(self.finance_user)
        views = Run.get_views([(False, "list"), (False, "form"), (False, "search")])
        self.assertIn("action_prepare", views["views"]["form"]["arch"])
        menu = self.env.ref("q2c_billing.menu_q2c_billing_run")
        visible = self.env["ir.ui.menu"].with_user(self.pm_user)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)

    def test_auditor_reads_only(self):
        run = self._prepare(
            self._new_run("2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract)
        )
        as_auditor = run.with_user(self.auditor_user)
        self.assertEqual(as_auditor.line_ids.state, "done")
        self.assertAmount(as_auditor.amount_total, 160.00)
        self.assertEqual(as_auditor.invoice_count, 1)
        self.assertEqual(
            as_auditor.line_ids.invoice_id.with_user(self.auditor_user).state, "draft"
        )
        with self.assertRaises(AccessError):
            as_auditor.write({"invoice_date": "2025-04-05"})
        with self.assertRaises(AccessError):
            as_auditor.action_post()

    def test_other_company_runs_are_invisible(self):
        run = self._new_run(
            "2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract
        )
        other = self.setup_other_company(name="q2c billing other")["company"]
        stranger = self.finance_user.copy(
            {
                "login": "q2c_bill_finance_2",
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
            }
        )
        Run = self.env["q2c.billing.run"].with_user(stranger)
        self.assertFalse(Run.search([("id", "=", run.id)]))

    def test_run_state_changes_only_through_its_buttons(self):
        """Issue 12 item 3: a run is never moved by a plain write, not even by Finance; its
        buttons move it and the chatter says who did."""
        run = self._new_run(
            "2025-03-01", "2025-03-31", False, "2025-04-03", contracts=self.contract
        ).with_context(tracking_disable=False, mail_notrack=False)
        # A record created in the transaction is tracked from the first pre-commit on.
        self.env.flush_all()
        self.env.cr.precommit.run()
        for state in ("invoiced", "review", "posted"):
            with self.subTest(state=state), self.assertRaises(AccessError):
                run.with_user(self.finance_user).write({"state": state})
        self.assertEqual(run.state, "draft")
        with self.assertRaises(AccessError):
            self.env["q2c.billing.run"].with_user(self.finance_user).create(
                {
                    "date_from": "2025-03-01",
                    "date_to": "2025-03-31",
                    "invoice_date": "2025-04-03",
                    "company_id": self.company.id,
                    "state": "invoiced",
                }
            )
        run.with_user(self.finance_user).action_prepare()
        self.assertNotEqual(run.state, "draft")
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracking = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "q2c.billing.run"),
                ("mail_message_id.res_id", "=", run.id),
                ("field_id.name", "=", "state"),
            ],
            order="id",
            limit=1,
        )
        self.assertEqual(tracking.old_value_char, "Draft")
        self.assertEqual(tracking.mail_message_id.author_id, self.finance_user.partner_id)
