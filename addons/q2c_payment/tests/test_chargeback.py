import datetime

from odoo.addons.q2c_billing.tests.common import Q2cBillingCase
from odoo.tests import tagged


@tagged("post_install", "-at_install")
class TestLostChargeback(Q2cBillingCase):
    """A lost chargeback is booked once, through Odoo's own payments (docs/payments.md,
    Chargebacks); a won one books nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration_user.groups_id |= cls.env.ref("account.group_account_invoice")
        cls.integration_user.groups_id |= cls.env.ref("base.group_partner_manager")
        cls.journal = cls.company_data["default_journal_bank"]
        cls.fee_account = cls.company_data["default_account_expense"]
        cls.system.write(
            {
                "payment_journal_id": cls.journal.id,
                "payment_fee_account_id": cls.fee_account.id,
                "payment_activity_user_id": cls.finance_user.id,
            }
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

    def _dispute(self, payment, status, amount, fee=None):
        return self._apply(
            kind="dispute",
            external_id=f"dp-{payment}",
            payment_external_id=payment,
            amount=amount,
            fee=fee,
            dispute_status=status,
        )

    def assertAmount(self, got, expected, msg=None):
        self.assertEqual(
            self.currency.compare_amounts(got, expected), 0, msg or f"{got} != {expected}"
        )

    def _balance(self, account, payments):
        lines = payments.move_id.line_ids.filtered(lambda line: line.account_id == account)
        return sum(lines.mapped("balance"))

    def _clearing(self, payments):
        """What the payments put through the gateway's journal: their liquidity lines (on
        each payment's outstanding account, cleared by the gateway's payout later)."""
        return sum(
            sum(
                payment.move_id.line_ids.filtered(
                    lambda line, p=payment: line.account_id == p.outstanding_account_id
                ).mapped("balance")
            )
            for payment in payments
        )

    def _customer_due(self, partner):
        """What the customer owes on its receivable: the open debits less open credits."""
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        return sum(lines.mapped("amount_residual"))

    def test_lost_chargeback_books_amount_and_fee_once(self):
        """Invoice 1,000.00 paid through the gateway with a fee of 29.30: clearing 970.70,
        fees 29.30, nothing due. Disputed (1,000.00), then lost with a dispute fee of 15.00:
        one outbound payment of 1,015.00 from the gateway journal: clearing credited
        1,015.00 (970.70 - 1,015.00 = -44.30 left), receivable debited 1,000.00 (the
        customer owes 1,000.00 again), fees debited 15.00 (29.30 + 15.00 = 44.30). The same
        `lost` delivered again books nothing more."""
        invoice = self.init_invoice("out_invoice", amounts=[1000.0], post=True)
        paid = self._apply(
            external_id="pay-cb", amount=1000.0, fee=29.30, invoice_ref=invoice.name
        )
        self.assertAmount(self._customer_due(invoice.partner_id), 0.0)
        opened = self._dispute("pay-cb", "open", 1000.0)
        self.assertFalse(opened.dispute_payment_id, "an open chargeback books nothing")
        lost = self._dispute("pay-cb", "lost", 1000.0, fee=15.0)
        self.assertEqual(lost, opened)
        booking = lost.dispute_payment_id
        self.assertEqual(len(booking), 1)
        self.assertIn(booking.state, ("in_process", "paid"), "posted")
        self.assertEqual(booking.payment_type, "outbound")
        self.assertEqual(booking.journal_id, self.journal)
        self.assertEqual(booking.partner_id, invoice.commercial_partner_id)
        self.assertAmount(booking.amount, 1015.0)
        payments = paid.payment_id | booking
        self.assertAmount(self._clearing(booking), -1015.0)
        self.assertAmount(self._clearing(payments), -44.30)
        self.assertAmount(self._balance(self.fee_account, booking), 15.0)
        self.assertAmount(self._balance(self.fee_account, payments), 44.30)
        self.assertAmount(self._customer_due(invoice.partner_id), 1000.0)
        self.assertEqual(invoice.q2c_dispute_state, "lost")
        again = self._dispute("pay-cb", "lost", 1000.0, fee=15.0)
        self.assertEqual(again.dispute_payment_id, booking)
        outbound = self.env["account.payment"].search(
            [
                ("partner_id", "=", invoice.commercial_partner_id.id),
                ("payment_type", "=", "outbound"),
            ]
        )
        self.assertEqual(outbound, booking, "booked once per chargeback")
        self.assertAmount(self._customer_due(invoice.partner_id), 1000.0)

    def test_won_chargeback_books_nothing(self):
        """Invoice 400.00 paid, disputed and won: no booking, nothing due, clearing 400.00."""
        invoice = self.init_invoice("out_invoice", amounts=[400.0], post=True)
        paid = self._apply(external_id="pay-won", amount=400.0, invoice_ref=invoice.name)
        self._dispute("pay-won", "open", 400.0)
        won = self._dispute("pay-won", "won", 400.0, fee=0.0)
        self.assertFalse(won.dispute_payment_id)
        self.assertEqual(invoice.q2c_dispute_state, "won")
        self.assertAmount(self._customer_due(invoice.partner_id), 0.0)
        self.assertAmount(self._clearing(paid.payment_id), 400.0)

    def test_lost_before_its_payment_is_booked_when_the_payment_is(self):
        """The closed-lost chargeback (250.00, fee 15.00) arrives before the payment of the
        250.00 invoice: it waits, and is booked once the payment is: 265.00 out, 250.00
        due again; the late `open` of the same chargeback changes nothing. Without a fee
        account the fee is not booked (as for payments): shown on a second gateway below."""
        invoice = self.init_invoice("out_invoice", amounts=[250.0], post=True)
        lost = self._dispute("pay-late", "lost", 250.0, fee=15.0)
        self.assertEqual(lost.state, "waiting")
        self.assertFalse(lost.dispute_payment_id)
        self._apply(external_id="pay-late", amount=250.0, invoice_ref=invoice.name)
        self.assertEqual(lost.state, "settled")
        self.assertAmount(lost.dispute_payment_id.amount, 265.0)
        self._dispute("pay-late", "open", 250.0)
        self.assertEqual(lost.dispute_status, "lost")
        self.assertAmount(self._customer_due(invoice.partner_id), 250.0)

    def test_without_fee_account_only_the_amount_is_booked(self):
        """No Gateway Fee Account: a lost chargeback of 80.00 with a 15.00 fee books 80.00
        out and 80.00 due; the fee is left to Finance, as payment fees are."""
        self.system.payment_fee_account_id = False
        invoice = self.init_invoice("out_invoice", amounts=[80.0], post=True)
        self._apply(external_id="pay-nofee", amount=80.0, invoice_ref=invoice.name)
        lost = self._dispute("pay-nofee", "lost", 80.0, fee=15.0)
        self.assertAmount(lost.dispute_payment_id.amount, 80.0)
        self.assertAmount(self._customer_due(invoice.partner_id), 80.0)
