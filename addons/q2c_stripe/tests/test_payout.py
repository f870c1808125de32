import ast

from odoo.tests import tagged

from .common import StripeCase
from .stripe_api import stripe_stand_in


@tagged("post_install", "-at_install")
class TestStripePayout(StripeCase):
    """payout.paid: the payout's balance transactions, read from Stripe page by page,
    become statement lines of the clearing journal, once each, and reconcile with the
    payments and refunds q2c booked (docs/payments.md, Payouts)."""

    def _usd(self):
        return self.currency.name.lower()

    def _txn(self, txn_id, kind, amount, fee, source):
        return {
            "id": txn_id,
            "object": "balance_transaction",
            "type": kind,
            "amount": amount,
            "fee": fee,
            "net": amount - fee,
            "currency": self._usd(),
            "created": 1764979200,
            "source": source,
        }

    def test_payout_becomes_statement_lines_that_reconcile(self):
        """Invoice A 1,000.00 paid (Stripe fee 29.30), invoice B 200.00 paid (fee 6.10)
        and refunded 50.00. Payout of 1,000.00 - 29.30 + 200.00 - 6.10 - 50.00 = 1,114.60.
        Its five transactions come in pages of two (has_more, starting_after) and make
        seven statement lines: +1,000.00, -29.30, +200.00, -6.10, -50.00 and the transfer
        -1,114.60 (sum 0). A's two lines reconcile with A's payment (970.70 to the
        clearing account), B's with B's payment (193.90), the refund line with the refund
        payment (50.00); the transfer is left for the bank statement. A second delivery
        of the payout creates nothing."""
        journal = self.bank_journal
        self.stripe_system.payment_payout_journal_id = journal
        self.stripe_user.groups_id |= self.env.ref("account.group_account_basic")
        a, b = self._invoice(1000.0), self._invoice(200.0)
        self._deliver(
            self._intent_succeeded("pi_a", 1000.0, self._usd(), ref=a.name, fee=29.30),
            self._intent_succeeded("pi_b", 200.0, self._usd(), ref=b.name, fee=6.10),
            self._charge_refunded("pi_b", 50.0, self._usd()),
        )
        charge = {"object": "charge", "payment_intent": "pi_a", "id": "ch_a"}
        transactions = [
            self._txn("txn_a", "charge", 100000, 2930, charge),
            self._txn(
                "txn_b", "charge", 20000, 610, {**charge, "id": "ch_b", "payment_intent": "pi_b"}
            ),
            self._txn(
                "txn_r",
                "refund",
                -5000,
                0,
                {"object": "refund", "id": "re_b", "payment_intent": "pi_b", "charge": "ch_b"},
            ),
            self._txn("txn_po", "payout", -111460, 0, "po_1"),
        ]
        payout = self._event(
            "payout.paid",
            {
                "id": "po_1",
                "object": "payout",
                "amount": 111460,
                "currency": self._usd(),
                "status": "paid",
                "arrival_date": 1765065600,
                "balance_transaction": "txn_po",
            },
        )
        with stripe_stand_in(self.stripe_system) as stripe:
            stripe.balance_transactions["po_1"] = transactions
            stripe.page_size = 2
            self._deliver(payout)
            lines = self.env["account.bank.statement.line"].search(
                [("q2c_payout_id", "=", "po_1")], order="id"
            )
            self.assertEqual(
                [(line.q2c_external_id, round(line.amount, 2)) for line in lines],
                [
                    ("txn_a", 1000.0),
                    ("txn_a:fee", -29.30),
                    ("txn_b", 200.0),
                    ("txn_b:fee", -6.10),
                    ("txn_r", -50.0),
                    ("txn_po", -1114.60),
                ],
            )
            self.assertAmount(sum(lines.mapped("amount")), 0.0)
            self.assertEqual(lines.journal_id, journal)
            reconciled = {line.q2c_external_id: line.is_reconciled for line in lines}
            self.assertEqual(
                reconciled,
                {
                    "txn_a": True,
                    "txn_a:fee": True,
                    "txn_b": True,
                    "txn_b:fee": True,
                    "txn_r": True,
                    "txn_po": False,
                },
            )
            payment_a = self._settlements(kind="payment", external_id="pi_a").payment_id
            self.assertTrue(payment_a.is_matched)
            pages = [r["query"].get("starting_after") for r in stripe.requests]
            self.assertEqual(pages, [None, ["txn_b"]])
            self.assertEqual(stripe.requests[0]["query"]["limit"], ["100"])
            # Stripe delivers the payout again (a new event id): nothing more.
            self._deliver({**payout, "id": payout["id"] + "_again"})
            self.assertEqual(
                self.env["account.bank.statement.line"].search_count(
                    [("q2c_payout_id", "=", "po_1")]
                ),
                6,
            )

    def test_a_lost_dispute_reconciles_with_its_chargeback_booking(self):
        """Invoice 1,150.00 paid by pi_d (Stripe fee 33.65: payment 1,116.35 to the
        clearing account), refunded 200.00 in part, then disputed and lost: 805.00 and a
        dispute fee of 15.00 (the chargeback booking: an outbound payment of 820.00).
        The payout's balance transactions, all of pi_d: charge +1,150.00 (fee 33.65),
        refund -200.00, adjustment -805.00 (fee 15.00), transfer 1,150.00 - 33.65 - 200.00
        - 805.00 - 15.00 = 96.35. Matched by type: +1,150.00 and -33.65 (= 1,116.35) with
        the payment, -200.00 with the refund payment, -805.00 and -15.00 (= -820.00) with
        the chargeback booking; the transfer is left for the bank statement."""
        self.stripe_system.payment_payout_journal_id = self.bank_journal
        self.stripe_user.groups_id |= self.env.ref("account.group_account_basic")
        invoice = self._invoice(1150.0)
        self._deliver(
            self._intent_succeeded("pi_d", 1150.0, self._usd(), ref=invoice.name, fee=33.65),
            self._charge_refunded("pi_d", 200.0, self._usd()),
            self._dispute("charge.dispute.created", "pi_d", "needs_response", 805.0, self._usd()),
            self._dispute("charge.dispute.closed", "pi_d", "lost", 805.0, self._usd(), fee=15.0),
        )
        booking = self._settlements(kind="dispute").dispute_payment_id
        self.assertAmount(booking.amount, 820.0)
        # The Gateway Transaction shows what its booking moved: 805.00 + 15.00.
        self.assertAmount(self._settlements(kind="dispute").booked_amount, 820.0)
        charge = {"object": "charge", "payment_intent": "pi_d", "id": "ch_pi_d"}
        transactions = [
            self._txn("txn_c", "charge", 115000, 3365, charge),
            self._txn(
                "txn_r",
                "refund",
                -20000,
                0,
                {"object": "refund", "id": "re_d", "payment_intent": "pi_d", "charge": "ch_pi_d"},
            ),
            self._txn(
                "txn_dp",
                "adjustment",
                -80500,
                1500,
                {"object": "dispute", "id": "dp_pi_d", "payment_intent": "pi_d"},
            ),
            self._txn("txn_po", "payout", -9635, 0, "po_d"),
        ]
        payout = self._event(
            "payout.paid",
            {
                "id": "po_d",
                "object": "payout",
                "amount": 9635,
                "currency": self._usd(),
                "status": "paid",
                "arrival_date": 1765065600,
                "balance_transaction": "txn_po",
            },
        )
        with stripe_stand_in(self.stripe_system) as stripe:
            stripe.balance_transactions["po_d"] = transactions
            self._deliver(payout)
        lines = self.env["account.bank.statement.line"].search(
            [("q2c_payout_id", "=", "po_d")], order="id"
        )
        self.assertAmount(sum(lines.mapped("amount")), 0.0)
        self.assertEqual(
            {line.q2c_external_id: line.is_reconciled for line in lines},
            {
                "txn_c": True,
                "txn_c:fee": True,
                "txn_r": True,
                "txn_dp": True,
                "txn_dp:fee": True,
                "txn_po": False,
            },
        )
        settlement = self._settlements(kind="payment", external_id="pi_d")
        self.assertTrue(settlement.payment_id.is_matched)
        self.assertTrue(booking.is_matched)
        self.assertTrue(self._settlements(kind="refund").refund_payment_id.is_matched)

    def test_a_payout_is_one_bank_statement_with_its_lines(self):
        """The payout of the lost dispute above (six lines, sum 0.00) is one bank statement
        of the clearing journal named po_d holding them, its ending balance its starting
        balance + 0.00 (complete); Payout Lines (as Finance) shows each line with what it
        is matched with: the dispute's lines with the chargeback booking's payment, the
        transfer with nothing."""
        self.test_a_lost_dispute_reconciles_with_its_chargeback_booking()
        lines = self.env["account.bank.statement.line"].search([("q2c_payout_id", "=", "po_d")])
        statement = lines.statement_id
        self.assertEqual((len(statement), statement.name), (1, "po_d"))
        self.assertEqual(statement.journal_id, self.bank_journal)
        self.assertEqual(statement.line_ids, lines)
        self.assertAmount(statement.balance_end, statement.balance_start)
        self.assertAmount(statement.balance_end_real, statement.balance_end)
        self.assertTrue(statement.is_complete)
        action = self.env.ref("q2c_payment.action_q2c_payout_lines")
        shown = (
            self.env["account.bank.statement.line"]
            .with_user(self.finance_user)
            .search(ast.literal_eval(action.domain))
        )
        self.assertEqual(shown, lines)
        booking = self._settlements(kind="dispute").dispute_payment_id
        matched = {line.q2c_external_id: line.q2c_matched_with for line in shown}
        self.assertEqual(matched["txn_dp"], booking.move_id.display_name)
        self.assertEqual(matched["txn_dp:fee"], booking.move_id.display_name)
        self.assertFalse(matched["txn_po"])

    def test_missing_right_reads_as_settings_name_it(self):
        """A payout journal set, the integration user without Accounting: Basic: the
        system's warning names it "Accounting: Basic", as docs/payments.md does, not Odoo's
        technical "Technical / Basic"."""
        self.stripe_system.payment_payout_journal_id = self.bank_journal
        self.stripe_system.invalidate_recordset()
        problem = self.stripe_system.integration_user_problem
        self.assertIn("lacks Accounting: Basic;", problem)
        self.assertNotIn("Technical", problem)

    def test_finance_sees_payout_lines_and_what_is_left(self):
        """Finance's path in the browser (Contracts > Payments > Payout Lines), on the
        lost-dispute payout above: the chargeback line is shown matched with the
        chargeback booking, and Not Reconciled leaves the transfer (-96.35) alone."""
        self.test_a_lost_dispute_reconciles_with_its_chargeback_booking()
        self.finance_user.password = "q2c_bill_finance"
        self.start_tour(
            "/odoo/action-q2c_payment.action_q2c_payout_lines",
            "q2c_payout_lines",
            login="q2c_bill_finance",
        )
        left = self.env["account.bank.statement.line"].search(
            [("q2c_payout_id", "=", "po_d"), ("is_reconciled", "=", False)]
        )
        self.assertEqual(left.mapped("q2c_external_id"), ["txn_po"])
        self.assertAmount(left.amount, -96.35)


@tagged("post_install", "-at_install")
class TestStripePayoutAfterMatch(StripeCase):
    """A payment held in Payments to Match and matched by Finance (button Match) is
    reconciled with its payout's lines like any other, whichever came first."""

    def _held_payment(self):
        """Invoice of 300.00; Stripe's payment of it (fee 8.70) names no invoice: held."""
        self.stripe_system.payment_payout_journal_id = self.bank_journal
        self.stripe_user.groups_id |= self.env.ref("account.group_account_basic")
        invoice = self._invoice(300.0)
        usd = self.currency.name.lower()
        self._deliver(self._intent_succeeded("pi_m", 300.0, usd, fee=8.70))
        row = self._settlements(kind="payment", external_id="pi_m")
        self.assertEqual(row.state, "to_match")
        return invoice, row

    def _match(self, row, invoice):
        row.with_user(self.finance_user).write({"move_id": invoice.id})
        row.with_user(self.finance_user).action_match()
        self.assertEqual(row.state, "settled")

    def _payout(self):
        """Payout of 300.00 - 8.70 = 291.30: lines +300.00, -8.70 and the transfer."""
        usd = self.currency.name.lower()
        charge = {"object": "charge", "payment_intent": "pi_m", "id": "ch_m"}
        txn = {"object": "balance_transaction", "currency": usd, "created": 1764979200}
        transactions = [
            {
                **txn,
                "id": "txn_m",
                "type": "charge",
                "amount": 30000,
                "fee": 870,
                "net": 29130,
                "source": charge,
            },
            {
                **txn,
                "id": "txn_mpo",
                "type": "payout",
                "amount": -29130,
                "fee": 0,
                "net": -29130,
                "source": "po_m",
            },
        ]
        payout = self._event(
            "payout.paid",
            {
                "id": "po_m",
                "object": "payout",
                "amount": 29130,
                "currency": usd,
                "status": "paid",
                "arrival_date": 1765065600,
                "balance_transaction": "txn_mpo",
            },
        )
        with stripe_stand_in(self.stripe_system) as stripe:
            stripe.balance_transactions["po_m"] = transactions
            self._deliver(payout)
        return self.env["account.bank.statement.line"].search(
            [("q2c_payout_id", "=", "po_m"), ("q2c_payout_kind", "!=", "payout")]
        )

    def test_matched_then_paid_out(self):
        """Matched first, then the payout: its +300.00 and -8.70 lines reconcile with the
        payment Match booked (291.30 to the clearing account)."""
        invoice, row = self._held_payment()
        self._match(row, invoice)
        lines = self._payout()
        self.assertEqual(len(lines), 2)
        self.assertTrue(all(lines.mapped("is_reconciled")))
        self.assertTrue(row.payment_id.is_matched)

    def test_matched_with_names_the_payment_or_the_account(self):
        """Payout Lines' Matched With: the +300.00 line and its -8.70 fee both name the
        payment they are reconciled with (not each other). The transfer (-291.30), once
        an accountant writes it to the liquidity transfer account, names that account."""
        invoice, row = self._held_payment()
        self._match(row, invoice)
        lines = self._payout()
        payment = row.payment_id.move_id.display_name
        self.assertEqual(set(lines.mapped("q2c_matched_with")), {payment})
        transfer = self.env["account.bank.statement.line"].search(
            [("q2c_payout_id", "=", "po_m"), ("q2c_payout_kind", "=", "payout")]
        )
        self.assertFalse(transfer.q2c_matched_with)
        _liquidity, suspense, _other = transfer._seek_for_lines()
        suspense.account_id = self.company.transfer_account_id
        transfer.invalidate_recordset()
        self.assertTrue(transfer.is_reconciled)
        self.assertEqual(transfer.q2c_matched_with, self.company.transfer_account_id.display_name)

    def test_paid_out_then_matched(self):
        """The payout first: its lines wait. Finance matches the payment: Match books it
        and reconciles the waiting lines with it."""
        invoice, row = self._held_payment()
        lines = self._payout()
        self.assertFalse(any(lines.mapped("is_reconciled")))
        self._match(row, invoice)
        self.assertTrue(all(lines.mapped("is_reconciled")))
        self.assertTrue(row.payment_id.is_matched)
