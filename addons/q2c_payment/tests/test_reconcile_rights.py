from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.exceptions import AccessError
from odoo.tests import Form, tagged


@tagged("post_install", "-at_install")
class TestReconcileRights(Q2cBillingCase):
    """Who can reconcile a payout's statement line in OCA's reconciliation screen
    (docs/payments.md, "Payouts: from the gateway to your bank"; docs/security.md, "Rights
    q2c does not give"). q2c's Finance role alone cannot (it implies Odoo's Invoicing
    right only); Finance plus Odoo's *Show Full Accounting Features*
    (`account.group_account_user`, Technical section of the user form in debug mode) can.
    Both through OCA's own model: the statement line's reconcile form and
    `reconcile_bank_line`, as its screen calls them."""

    def _line_and_invoice(self):
        """A bank statement line of +100.00 and a posted invoice of 100.00 it pays."""
        invoice = self.init_invoice("out_invoice", amounts=[100.0], post=True)
        line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.company_data["default_journal_bank"].id,
                "payment_ref": invoice.name,
                "amount": 100.0,
                "date": invoice.invoice_date,
            }
        )
        return line, invoice

    def _reconcile_as(self, user, line, invoice):
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_id.account_type == "asset_receivable"
        )
        line = line.with_user(user)
        with Form(line, view="account_reconcile_oca.bank_statement_line_form_reconcile_view") as f:
            f.add_account_move_line_id = receivable.with_user(user)
            self.assertTrue(f.can_reconcile)
        line.reconcile_bank_line()

    def test_finance_alone_cannot_reconcile(self):
        """A Finance user without Full Accounting Features: OCA's reconcile is refused with
        an access error; the line stays open and the invoice unpaid (100.00 due)."""
        self.assertFalse(self.finance_user.has_group("account.group_account_user"))
        line, invoice = self._line_and_invoice()
        with self.assertRaises(AccessError), self.cr.savepoint():
            self._reconcile_as(self.finance_user, line, invoice)
        self.env.invalidate_all()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(self.currency.compare_amounts(invoice.amount_residual, 100.0), 0)

    def test_finance_with_full_accounting_reconciles(self):
        """The same Finance user given Show Full Accounting Features: the line of 100.00 is
        reconciled with the invoice, which is paid (0.00 due)."""
        self.finance_user.groups_id |= self.env.ref("account.group_account_user")
        line, invoice = self._line_and_invoice()
        self._reconcile_as(self.finance_user, line, invoice)
        self.env.invalidate_all()
        self.assertTrue(line.is_reconciled)
        self.assertTrue(self.currency.is_zero(invoice.amount_residual))
