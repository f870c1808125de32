import logging
from datetime import timedelta

from odoo import Command, _, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

MESSAGES = {
    "breakage": "Retainer breakage: %(bucket)s (%(contract)s)",
    "breakage_refused": "The breakage entry %(move)s of retainer funds %(bucket)s was left in "
    "draft, Odoo refused to post it: %(error)s",
}


class Q2cRetainerBucket(models.Model):
    """Billing of retainer funds (billing-domain.md 1.4): a period's funds and a top-up are
    invoiced once, by the invoice line that `invoice_line_id` names (a run cancelled before
    posting frees them, to invoice again). At expiry, what is left of
    invoiced funds is released from the advances account to revenue by a posted journal
    entry (`breakage_move_id`), never by an invoice line."""

    _inherit = "q2c.retainer.bucket"

    invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Invoiced on Line",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    breakage_move_id = fields.Many2one(
        "account.move", string="Breakage Entry", readonly=True, copy=False
    )

    _sql_constraints = [
        (
            "breakage_move_uniq",
            "unique(breakage_move_id)",
            "A breakage entry releases one bucket.",
        ),
    ]

    # ------------------------------------------------------------------ invoicing

    def _funds_line(self):
        """The invoice line that billed these funds (a rollover's: its source's)."""
        self.ensure_one()
        bucket = self
        while bucket and not bucket.invoice_line_id:
            bucket = bucket.source_bucket_id
        return bucket.invoice_line_id

    def _q2c_unbill(self, lines):
        """`lines` (of a draft invoice) are deleted: these funds are to invoice again, by
        the next run. A period's funds nothing draws from any more go too (the next run
        opens them again), and so do new funds a correction gave back (the next run gives
        them back again); funds still drawn by another invoice stay, un-invoiced."""
        self.write({"invoice_line_id": False})
        self.invalidate_recordset(["drawdown_ids"])
        self.filtered(lambda b: b.kind in ("period", "given_back") and not b.drawdown_ids).unlink()

    # ------------------------------------------------------------------ expiry and breakage

    def _expirable(self):
        """Funds not invoiced yet wait for their invoice while their contract is active: a
        top-up bought, and a period's funds opened before the run of their period (by
        hand, by the demo data). The run of a period comes after it ends (its invoice is
        dated the first day of the next one): expired before it, a first partial period's
        prorated funds would never be invoiced and its usage would find no funds and be
        billed at T&M (billing-domain.md 1.4: each retainer invoice opens its funds, valid
        from the period start). Such funds wait while nothing was drawn from them and no
        run of the contract reached their expiry (a placeholder ahead of its run); funds
        drawn outside a run, or left uninvoiced by the run of their period, and other funds
        never invoiced expire as before.
        Invoiced funds wait until the usage of their validity is billed (a run result of
        the contract, done, whose period reaches the expiry, and its invoice posted if it
        has one) and their own invoice is posted: usage is billed in arrears, and the
        breakage entry releases a liability that must be booked first."""
        Result = self.env["q2c.billing.run.line"].sudo()
        ready = self.browse()
        for bucket in self:
            line = bucket._funds_line()
            if not line:
                waits = bucket.kind == "top_up" or (
                    bucket.kind == "period"
                    and bucket.contract_id.state == "active"
                    and not bucket.drawdown_ids
                    and not Result.search_count(
                        [
                            ("contract_id", "=", bucket.contract_id.id),
                            ("state", "=", "done"),
                            ("date_to", ">=", bucket.expiry),
                        ],
                        limit=1,
                    )
                )
                if not waits:
                    ready |= bucket
                continue
            if line.parent_state != "posted":
                continue
            billed = Result.search(
                [
                    ("contract_id", "=", bucket.contract_id.id),
                    ("state", "=", "done"),
                    ("date_to", ">=", bucket.expiry),
                    "|",
                    ("invoice_id", "=", False),
                    ("invoice_id.state", "=", "posted"),
                ],
                limit=1,
            )
            if billed:
                ready |= bucket
        return ready

    def _expire_one(self):
        result = super()._expire_one()
        if self.currency_id.compare_amounts(self.breakage_amount, 0.0) > 0 and self._funds_line():
            self._q2c_post_breakage()
        return result

    def _breakage_accounts(self):
        """(journal, advances account, revenue account) of the breakage entry; override to
        choose them per contract."""
        company = self.company_id
        Journal = self.env["account.journal"].sudo()
        journal = company.q2c_retainer_journal_id or Journal.search(
            [("type", "=", "general"), *Journal._check_company_domain(company)], limit=1
        )
        revenue = company.q2c_retainer_breakage_account_id
        if not revenue:
            sales = Journal.search(
                [("type", "=", "sale"), *Journal._check_company_domain(company)], limit=1
            )
            revenue = sales.default_account_id
        advances = self._funds_line().account_id
        return journal, advances, revenue

    def _q2c_post_breakage(self):
        """The journal entry of the breakage, dated the expiry (or the first open day after
        a lock date): debit the advances account the funds were invoiced to, credit revenue,
        in the contract's currency. Created and posted through account.move, as superuser
        (the expiry cron's act, whoever runs it); a refusal to post leaves it in draft with
        the reason on the contract."""
        self.ensure_one()
        contract, company = self.contract_id, self.company_id
        journal, advances, revenue = self._breakage_accounts()
        amount = self.breakage_amount
        balance = self.currency_id._convert(amount, company.currency_id, company, self.expiry)
        name = _(MESSAGES["breakage"], bucket=self.name, contract=contract.display_name)
        common = {
            "name": name,
            "partner_id": contract.partner_id.commercial_partner_id.id,
            "currency_id": self.currency_id.id,
        }
        Move = self.env["account.move"].sudo().with_company(company)
        move = Move.create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "company_id": company.id,
                "date": self.expiry,
                "ref": name,
                "q2c_contract_id": contract.id,
                "line_ids": [
                    Command.create(
                        {
                            **common,
                            "account_id": advances.id,
                            "balance": balance,
                            "amount_currency": amount,
                        }
                    ),
                    Command.create(
                        {
                            **common,
                            "account_id": revenue.id,
                            "balance": -balance,
                            "amount_currency": -amount,
                        }
                    ),
                ],
            }
        )
        self.breakage_move_id = move
        try:
            with self.env.cr.savepoint():
                lock_dates = move._get_violated_lock_dates(self.expiry, False)
                if lock_dates:
                    move.date = lock_dates[-1][0] + timedelta(days=1)
                move.action_post()
        except UserError as error:
            _logger.warning("q2c retainer: breakage entry %s left in draft: %s", move.id, error)
            contract.sudo()._message_log(
                body=_(
                    MESSAGES["breakage_refused"],
                    move=move.display_name,
                    bucket=self.name,
                    error=str(error),
                )
            )
        return move
