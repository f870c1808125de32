import datetime

from odoo import Command
from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSettlement(Q2cBillingCase):
    """The shared settlement without a gateway: neutral transactions applied as the
    integration user, and Finance's Match."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration_user.groups_id |= cls.env.ref("account.group_account_invoice")
        cls.integration_user.groups_id |= cls.env.ref("base.group_partner_manager")
        cls.system.write(
            {
                "payment_journal_id": cls.company_data["default_journal_bank"].id,
                "payment_activity_user_id": cls.finance_user.id,
            }
        )
        cls.operator = new_test_user(
            cls.env,
            login="q2c_pay_operator",
            groups="base.group_user,q2c_base.group_integration_operator",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _apply(self, **tx):
        values = {
            "kind": "payment",
            "currency": self.currency.name,
            "date": datetime.date(2026, 12, 1),
            **tx,
        }
        Settlement = self.env["q2c.payment.settlement"].with_user(self.integration_user)
        return Settlement._apply(self.system.with_user(self.integration_user), values)

    def test_same_payment_twice_books_once(self):
        """Two deliveries of a 70.00 payment on a 100.00 invoice: one payment of 70.00,
        30.00 left due."""
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        first = self._apply(external_id="pay-1", amount=70.0, invoice_ref=invoice.name)
        again = self._apply(external_id="pay-1", amount=70.0, invoice_ref=invoice.name)
        self.assertEqual(first, again)
        self.assertEqual(len(first.payment_id), 1)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(self.currency.compare_amounts(invoice.amount_residual, 30.0), 0)

    def test_ambiguous_reference_is_held(self):
        """Two invoices named by the reference sent and the number sent: the reference wins;
        a number naming no invoice leaves the payment unmatched."""
        invoice = self.init_invoice("out_invoice", amounts=[50.0], post=True)
        row = self._apply(
            external_id="pay-2", amount=50.0, invoice_ref="NOPE", invoice_number=invoice.name
        )
        self.assertEqual(row.state, "settled", "the invoice number is tried after the reference")
        row = self._apply(external_id="pay-3", amount=50.0, invoice_ref="NOPE")
        self.assertEqual((row.state, row.reason), ("to_match", "unmatched"))

    def test_refund_waits_for_its_payment(self):
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        refund = self._apply(
            kind="refund", external_id="pay-4:r:40", payment_external_id="pay-4", amount=40.0
        )
        self.assertEqual(refund.state, "waiting")
        self.assertFalse(refund.credit_note_id)
        self._apply(external_id="pay-4", amount=100.0, invoice_ref=invoice.name)
        self.assertEqual(refund.state, "settled")
        self.assertEqual(refund.credit_note_id.reversed_entry_id, invoice)
        self.assertEqual(refund.credit_note_id.state, "posted")
        self.assertEqual(
            self.currency.compare_amounts(refund.credit_note_id.amount_total, 40.0), 0
        )

    def test_match_is_finance_only_and_needs_an_invoice(self):
        invoice = self.init_invoice("out_invoice", amounts=[60.0], post=True)
        row = self._apply(external_id="pay-5", amount=60.0)
        self.assertEqual(row.state, "to_match")
        for user in (self.operator, self.auditor_user, self.integration_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                row.with_user(user).action_match()
        finance_row = row.with_user(self.finance_user)
        with self.assertRaisesRegex(UserError, "Choose the posted customer invoice"):
            finance_row.action_match()
        # Workflow fields are the action's: Finance cannot settle by writing the state.
        with self.assertRaises(AccessError):
            finance_row.write({"state": "settled"})
        finance_row.move_id = invoice
        finance_row.action_match()
        self.assertEqual(row.state, "settled")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        with self.assertRaisesRegex(UserError, "not waiting to be matched"):
            finance_row.action_match()

    def test_partial_refund_of_a_taxed_invoice_refunds_tax_in_proportion(self):
        """Invoice 1,000.00 + 15 % tax = 1,150.00, paid; 345.00 refunded is 30 % of it: the
        credit note is 300.00 + 45.00 tax. Then 100.00 more (445.00 in all): 100 / 1,150 of
        1,000.00 is 86.96 (86.9565 rounded), its tax 13.04 (13.044 rounded), 100.00 in all,
        no rounding line needed."""
        tax = self.company_data["default_tax_sale"]
        self.assertEqual(tax.amount, 15)
        invoice = self.init_invoice("out_invoice", amounts=[1000.0], taxes=tax, post=True)
        self.assertEqual(self.currency.compare_amounts(invoice.amount_total, 1150.0), 0)
        self._apply(external_id="pay-6", amount=1150.0, invoice_ref=invoice.name)
        first = self._apply(
            kind="refund", external_id="pay-6:r:345", payment_external_id="pay-6", amount=345.0
        )
        note = first.credit_note_id
        for got, expected in ((note.amount_untaxed, 300.0), (note.amount_tax, 45.0)):
            self.assertEqual(self.currency.compare_amounts(got, expected), 0, got)
        second = self._apply(
            kind="refund", external_id="pay-6:r:445", payment_external_id="pay-6", amount=445.0
        )
        note = second.credit_note_id
        for got, expected in (
            (note.amount_untaxed, 86.96),
            (note.amount_tax, 13.04),
            (note.amount_total, 100.0),
        ):
            self.assertEqual(self.currency.compare_amounts(got, expected), 0, got)
        self.assertIn(note.payment_state, ("paid", "in_payment"))

    def test_partial_refund_rounding_line(self):
        """Invoice 100.00 + 15 % = 115.00; 10.00 refunded: 100 x 10 / 115 = 8.6957 is priced
        8.70, its tax 1.305 rounds to 1.31, 10.01 in all: a rounding line of -0.01 without tax
        makes the credit note exactly the 10.00 refunded."""
        tax = self.company_data["default_tax_sale"]
        invoice = self.init_invoice("out_invoice", amounts=[100.0], taxes=tax, post=True)
        self._apply(external_id="pay-7", amount=115.0, invoice_ref=invoice.name)
        refund = self._apply(
            kind="refund", external_id="pay-7:r:10", payment_external_id="pay-7", amount=10.0
        )
        note = refund.credit_note_id
        self.assertEqual(self.currency.compare_amounts(note.amount_total, 10.0), 0)
        rounding = note.invoice_line_ids.filtered(lambda line: not line.tax_ids)
        self.assertEqual(len(rounding), 1)
        self.assertEqual(self.currency.compare_amounts(rounding.price_unit, -0.01), 0)
