import datetime

from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestOwnOutstandingAccounts(Q2cBillingCase):
    """One outstanding account per gateway (docs/payments.md, "Payouts", *One outstanding
    account per gateway*): with Odoo's defaults every gateway journal's payments wait on the
    company's shared Outstanding Receipts; given its own accounts on its payment methods, a
    gateway's payments wait there, another gateway's never do, and q2c's payout
    reconciliation still clears them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration_user.groups_id |= cls.env.ref("account.group_account_basic")
        cls.integration_user.groups_id |= cls.env.ref("base.group_partner_manager")
        bank = cls.company_data["default_journal_bank"]
        cls.stripe_journal = bank.copy({"name": "Stripe Clearing (test)", "code": "STRT"})
        cls.paypal_journal = bank.copy({"name": "PayPal Clearing (test)", "code": "PPLT"})
        Account = cls.env["account.account"]
        cls.own_receipts, cls.own_payments = (
            Account.create(
                {"name": name, "code": code, "account_type": "asset_current", "reconcile": True}
            )
            for name, code in (
                ("Stripe Outstanding Receipts", "101481"),
                ("Stripe Outstanding Payments", "101482"),
            )
        )
        # The documented set-up: the journal's Incoming / Outgoing Payments tabs.
        cls.stripe_journal.inbound_payment_method_line_ids.payment_account_id = cls.own_receipts
        cls.stripe_journal.outbound_payment_method_line_ids.payment_account_id = cls.own_payments
        fee_account = cls.company_data["default_account_expense"]
        cls.stripe_system = cls.system
        cls.stripe_system.write(
            {
                "payment_journal_id": cls.stripe_journal.id,
                "payment_payout_journal_id": cls.stripe_journal.id,
                "payment_fee_account_id": fee_account.id,
            }
        )
        cls.paypal_system = cls.system.copy({"name": "Second gateway (test)"})
        cls.paypal_system.write(
            {"payment_journal_id": cls.paypal_journal.id, "user_id": cls.integration_user.id}
        )

    def _pay(self, system, external_id, invoice, amount, fee=None):
        Settlement = self.env["q2c.payment.settlement"].with_user(self.integration_user)
        row = Settlement._apply(
            system.with_user(self.integration_user),
            {
                "kind": "payment",
                "external_id": external_id,
                "amount": amount,
                "fee": fee,
                "currency": self.currency.name,
                "date": datetime.date(2026, 12, 1),
                "invoice_ref": invoice.name,
            },
        )
        self.assertEqual(row.state, "settled")
        return row.payment_id

    def _balance(self, account):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        )
        return sum(lines.mapped("balance"))

    def test_each_gateway_waits_on_its_own_account_and_payouts_reconcile(self):
        """Stripe's payment of 100.00 (fee 3.00) posts 97.00 to Stripe Outstanding
        Receipts; the second gateway's 50.00 posts to the company's shared Outstanding
        Receipts, never to Stripe's. Stripe's payout: +100.00, -3.00 (reconciled with the
        payment: Stripe Outstanding Receipts back to 0.00) and the transfer -97.00 (left for
        the bank)."""
        shared = self.env["account.chart.template"].ref("account_journal_payment_debit_account_id")
        stripe_paid = self._pay(self.stripe_system, "pi_1", self._invoice(100.0), 100.0, 3.0)
        paypal_paid = self._pay(self.paypal_system, "CAP1", self._invoice(50.0), 50.0)
        self.assertEqual(stripe_paid.outstanding_account_id, self.own_receipts)
        self.assertEqual(paypal_paid.outstanding_account_id, shared)
        self.assertNotIn(self.own_receipts, paypal_paid.move_id.line_ids.account_id)
        self.assertEqual(self.currency.compare_amounts(self._balance(self.own_receipts), 97.0), 0)
        rows = [
            {
                "external_id": ext,
                "payout_id": "po_1",
                "kind": kind,
                "amount": amount,
                "date": datetime.date(2026, 12, 3),
                "label": ext,
                "payment_external_id": pay,
            }
            for ext, kind, amount, pay in (
                ("txn_1", "charge", 100.0, "pi_1"),
                ("txn_1:fee", "fee", -3.0, "pi_1"),
                ("txn_po", "payout", -97.0, None),
            )
        ]
        lines = self.env["account.bank.statement.line"]._q2c_import_payout(
            self.stripe_system, rows
        )
        reconciled = {line.q2c_external_id: line.is_reconciled for line in lines}
        self.assertEqual(reconciled, {"txn_1": True, "txn_1:fee": True, "txn_po": False})
        self.assertTrue(self.currency.is_zero(self._balance(self.own_receipts)))
        self.assertTrue(stripe_paid.is_matched)
        self.assertFalse(paypal_paid.is_matched)

    def _invoice(self, amount):
        return self.init_invoice("out_invoice", amounts=[amount], post=True)
