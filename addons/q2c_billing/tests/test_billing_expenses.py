from odoo import Command
from odoo.addons.q2c_expense.tests.common import (
    GC05_POLICY,
    create_gc05_products,
    set_eur_rates,
)
from odoo.tests import tagged

from .common import Q2cBillingCase


@tagged("post_install", "-at_install")
class TestBillingExpenses(Q2cBillingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = set_eur_rates(cls.env, cls.company)
        categories, _products = create_gc05_products(cls.env, cls.system, "billing test")
        cls.consultant = cls._role("Consultant")
        cls.gina = cls._employee("Gina", cls.consultant)
        card = cls._card("C-500 card", [(cls.consultant, 160.0, "2025-01-01", None)])
        cls.contract = cls._contract(
            "C-500",
            cls._project("P-500"),
            cards=card,
            expense_policy_ids=[
                Command.create({"product_categ_id": categories[name].id, **vals})
                for name, vals in GC05_POLICY.items()
            ],
        )

    def test_gc05_expenses_rebilled_through_a_run(self):
        """GC-05 (billing-domain.md 5) on the March invoice, at q2c_expense's billed values:
        airfare 612.40 + 10% 61.24 = 673.64; hotel 489.25 + 10% 48.93 (48.925 half-up;
        half-even 48.92) = 538.18; meals 92.30 capped at the 75.00 per diem = 75.00;
        translation EUR 1,250.00 x 1.0874 = 1,359.25 + 15% 203.89 (203.8875) = 1,563.14;
        mileage 146 mi x 0.70 = 102.20 (qty 146.00 x 0.70); software non-billable, no line.
        Total 2,952.16 (billable cost 2,638.10 + markup 314.06)."""
        rows = [
            ("1", "airfare", "2025-03-04", 612.40, {}),
            ("2", "hotel", "2025-03-07", 489.25, {}),
            ("3", "meals", "2025-03-05", 92.30, {}),
            ("4", "translation", "2025-03-12", 1250.0, {"currency": "EUR"}),
            ("5", "mileage", "2025-03-18", 102.20, {"quantity": 146}),
            ("6", "software", "2025-03-20", 299.0, {}),
        ]
        results = (
            self.env["hr.expense"]
            .sudo()
            ._q2c_ingest(
                self.system,
                [
                    {
                        "external_id": ext,
                        "employee": "u-Gina",
                        "project": "P-500",
                        "category": category,
                        "date": day,
                        "amount": amount,
                        "approved_at": "2025-03-31T12:00:00Z",
                        **extra,
                    }
                    for ext, category, day, amount, extra in rows
                ],
            )
        )
        self.assertEqual({r["status"] for r in results}, {"created"}, results)
        run = self._bill(
            "2025-03-01",
            "2025-03-31",
            "2025-04-03 10:00:00",
            "2025-04-03",
            contracts=self.contract,
        )
        result = run.line_ids
        self.assertEqual((result.state, result.expense_count), ("done", 5), result.reason)
        invoice = result.invoice_id
        self.assertInvoiceLines(
            invoice,
            [
                ("2025-03-04", 1.0, 673.64, 673.64),
                ("2025-03-05", 1.0, 75.00, 75.00),
                ("2025-03-07", 1.0, 538.18, 538.18),
                ("2025-03-12", 1.0, 1563.14, 1563.14),
                ("2025-03-18", 146.0, 0.70, 102.20),
            ],
        )
        self.assertAmount(invoice.amount_total, 2952.16)
        expenses = self.env["hr.expense"].search([("q2c_system_id", "=", self.system.id)])
        billed = expenses.filtered("q2c_invoice_line_id")
        self.assertEqual(len(billed), 5)
        self.assertEqual(set(billed.mapped("q2c_billing_status")), {"billed"})
        software = expenses - billed
        self.assertEqual(software.q2c_billing_status, "not_billable")

        # Cancelling the run frees the expenses with their billed values unchanged.
        run.with_user(self.finance_user).action_cancel()
        self.assertFalse(invoice.exists())
        self.assertEqual(set(billed.mapped("q2c_billing_status")), {"to_bill"})
        self.assertFalse(billed.q2c_invoice_line_id)
        self.assertAmount(sum(billed.mapped("q2c_billed_value")), 2952.16)

    def test_expense_correction_by_credit_note(self):
        """Billing-domain.md 1.9 for an expense, the contract settling corrections by credit
        note. March bills the airfare: 612.40 + 10% 61.24 = 673.64, posted. The airfare is
        edited at the source to 500.00: reversal -673.64, replacement 500.00 + 10% 50.00 =
        550.00, net -123.64. April's run: no invoice, a credit note of 123.64 on the March
        invoice, each correction pointing to its line."""
        self.contract.correction_policy = "credit_note"

        def deliver(amount, approved_at):
            return (
                self.env["hr.expense"]
                .sudo()
                ._q2c_ingest(
                    self.system,
                    [
                        {
                            "external_id": "air",
                            "employee": "u-Gina",
                            "project": "P-500",
                            "category": "airfare",
                            "date": "2025-03-04",
                            "amount": amount,
                            "approved_at": approved_at,
                        }
                    ],
                )
            )

        deliver(612.40, "2025-03-31T12:00:00Z")
        march = self._bill(
            "2025-03-01", "2025-03-31", "2025-04-03 10:00:00", "2025-04-03", self.contract
        )
        march.with_user(self.finance_user).action_post()
        self.assertAmount(march.invoice_ids.amount_total, 673.64)
        deliver(500.00, "2025-04-10T12:00:00Z")
        april = self._bill("2025-04-01", "2025-04-30", False, "2025-05-05", self.contract)
        line = april.line_ids
        self.assertEqual(line.state, "done", line.reason)
        self.assertFalse(line.invoice_id)
        credit_note = line.credit_note_id
        self.assertEqual(credit_note.reversed_entry_id, march.invoice_ids)
        self.assertAmount(credit_note.amount_total, 123.64)
        corrections = self.env["hr.expense"].search(
            [("q2c_system_id", "=", self.system.id), ("q2c_correction_kind", "!=", False)]
        )
        self.assertEqual(len(corrections), 2)
        self.assertEqual(corrections.q2c_invoice_line_id.move_id, credit_note)
        self.assertEqual(len(corrections.q2c_invoice_line_id), 2)
