"""Issue 12 item 3, billing: the invoice line that billed a time entry or an expense, its
billing status and billed-at are set by billing runs, freed by cancelling them (deleting their
draft invoices), and held or released by a not-to-exceed cap; never by a plain `write`, not
even Finance's (docs/security.md, 8)."""

from odoo import Command
from odoo.addons.q2c_expense.tests.common import (
    GC05_POLICY,
    create_gc05_products,
    set_eur_rates,
)
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import Q2cBillingCase

REFUSED = "change only through its actions"


@tagged("post_install", "-at_install")
class TestBillingFieldsGuarded(Q2cBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Everyone here may write time entries and expenses: the guard is what refuses.
        writers = [
            Command.link(cls.env.ref("hr_timesheet.group_hr_timesheet_approver").id),
            Command.link(cls.env.ref("hr_expense.group_hr_expense_user").id),
        ]
        for user in (cls.integration_user, cls.pm_user, cls.finance_user):
            user.groups_id = writers
        set_eur_rates(cls.env, cls.company)
        categories, _products = create_gc05_products(cls.env, cls.system, "guard test")
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        cls.card = cls._card("C-920 card", [(cls.consultant, 160.0, "2025-01-01", None)])
        cls.contract = cls._contract(
            "C-920",
            cls._project("P-920"),
            cards=cls.card,
            expense_policy_ids=[
                Command.create({"product_categ_id": categories[name].id, **vals})
                for name, vals in GC05_POLICY.items()
            ],
        )

    def _ingest_as_integration_user(self, model, entries):
        results = (
            self.env[model].with_user(self.integration_user)._q2c_ingest(self.system, entries)
        )
        self.assertEqual({r["status"] for r in results}, {"created"}, results)
        return self.env[model].browse([r.get("line_id") or r.get("expense_id") for r in results])

    def _time_entry(self, ext, project, day, hours):
        return {
            "external_id": ext,
            "employee": "u-Gina",
            "project": project,
            "date": day,
            "hours": hours,
            "description": "work",
            "approved_at": "2025-03-31T12:00:00Z",
        }

    def _assert_refused(self, records, vals):
        for user in (self.pm_user, self.integration_user, self.finance_user):
            for record in records:
                with (
                    self.subTest(user=user.login, model=record._name, vals=vals),
                    self.assertRaisesRegex(AccessError, REFUSED),
                ):
                    record.with_user(user).write(vals)

    def _tracked(self, expense, field_name):
        """[(author, old, new)] of the chatter's tracking of `field_name`, oldest first."""
        self.env.flush_all()
        self.env.cr.precommit.run()
        values = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "hr.expense"),
                ("mail_message_id.res_id", "=", expense.id),
                ("field_id.name", "=", field_name),
            ],
            order="id",
        )
        return [
            (value.mail_message_id.author_id, value.old_value_char or "", value.new_value_char)
            for value in values
        ]

    def test_a_run_bills_and_its_cancel_frees_no_one_else(self):
        """March: Gina 6.00 h x 160.00 = 960.00 and airfare 100.00 + 10% = 110.00; the run's
        invoice 1,070.00. No one points an entry at another invoice line or frees it by
        hand; cancelling the run frees both (to bill, on no invoice), Finance named in the
        expense's chatter with the billing reference it had."""
        line = self._ingest_as_integration_user(
            "account.analytic.line", [self._time_entry("bg-1", "P-920", "2025-03-10", 6.0)]
        )
        expense = self._ingest_as_integration_user(
            "hr.expense",
            [
                {
                    "external_id": "be-1",
                    "employee": "u-Gina",
                    "project": "P-920",
                    "category": "airfare",
                    "date": "2025-03-04",
                    "amount": 100.0,
                    "approved_at": "2025-03-31T12:00:00Z",
                }
            ],
        )
        both = (line, expense)
        self.assertEqual([r.q2c_billing_status for r in both], ["to_bill", "to_bill"])
        run = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", self.contract
        )
        invoice = run.invoice_ids
        self.assertAmount(invoice.amount_total, 1070.00)
        for record in both:
            self.assertEqual(record.q2c_invoice_line_id.move_id, invoice)
            self.assertEqual(record.q2c_billing_status, "billed")
            self.assertTrue(record.q2c_billed_at)
        invoice_reference = expense.q2c_billing_ref
        self.assertEqual(invoice_reference, f"{run.name} {self.contract.code}")
        self._assert_refused(both, {"q2c_invoice_line_id": False})
        self._assert_refused(both, {"q2c_billing_status": "to_bill"})
        self._assert_refused(both, {"q2c_billed_at": False})
        self._assert_refused([line], {"q2c_invoice_line_id": expense.q2c_invoice_line_id.id})

        # What billing tracked is posted at the commit: the freeing is tracked on its own.
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = {"tracking_disable": False, "mail_notrack": False}
        run.with_user(self.finance_user).with_context(**tracked).action_cancel()
        self.assertFalse(invoice.exists())
        for record in (line, expense):
            self.assertEqual(record.q2c_billing_status, "to_bill")
            self.assertFalse(record.q2c_invoice_line_id)
            self.assertFalse(record.q2c_billed_at)
        self.assertEqual(
            self._tracked(expense, "q2c_billing_status")[-1],
            (self.finance_user.partner_id, "Billed", "To bill"),
        )
        reference = self._tracked(expense, "q2c_billing_ref")[-1]
        self.assertEqual(reference[:2], (self.finance_user.partner_id, invoice_reference))

    def test_a_cap_holds_and_releases_no_one_else(self):
        """Cap 960.00 (truncate). March: 03-03 Gina 6.00 h x 160.00 = 960.00 billed, 03-10
        2.00 h wholly held (320.00, nte_held). Finance cannot put it back to bill; cancelling
        the run frees it, a new run holds it again. April, the cap raised by 320.00 to
        1,280.00: the run releases 2.00 h x 160.00 = 320.00 and the entry is billed."""
        contract = self._contract(
            "C-921",
            self._project("P-921"),
            cards=self.card,
            nte_original_amount=960.0,
            nte_mode="truncate",
        )
        lines = self._ingest_as_integration_user(
            "account.analytic.line",
            [
                self._time_entry("bg-2", "P-921", "2025-03-03", 6.0),
                self._time_entry("bg-3", "P-921", "2025-03-10", 2.0),
            ],
        )
        billed, held = lines
        dates = ("2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03")
        march = self._bill(*dates, contracts=contract)
        self.assertAmount(march.invoice_ids.amount_total, 960.00)
        self.assertEqual(
            (billed.q2c_billing_status, held.q2c_billing_status), ("billed", "nte_held")
        )
        self._assert_refused([held], {"q2c_billing_status": "to_bill"})
        self._assert_refused([billed], {"q2c_billing_status": "nte_held"})

        march.with_user(self.finance_user).action_cancel()
        self.assertEqual(set(lines.mapped("q2c_billing_status")), {"to_bill"})
        march = self._bill(*dates, contracts=contract)
        self.assertEqual(held.q2c_billing_status, "nte_held")
        march.with_user(self.finance_user).action_post()

        self.env["q2c.contract.change.entry"].with_user(self.finance_user).create(
            {
                "contract_id": contract.id,
                "currency_id": contract.currency_id.id,
                "date": "2025-04-10",
                "name": "CA-921",
                "kind": "nte",
                "amount": 320.0,
            }
        )
        april = self._bill(
            "2025-04-01", "2025-04-30", "2025-05-03 10:00:00", "2025-05-03", contracts=contract
        )
        self.assertAmount(april.invoice_ids.amount_total, 320.00)
        self.assertEqual(held.q2c_billing_status, "billed")
        self.assertEqual(held.q2c_invoice_line_id.move_id, april.invoice_ids)
        self._assert_refused([held], {"q2c_billing_status": "nte_held"})
