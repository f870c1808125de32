from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    supports_payments = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system is a payment gateway: its events settle invoices.",
    )
    supports_invoice_publication = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The gateway can offer a posted Odoo invoice for online payment "
        "(`_q2c_publish_invoice`).",
    )
    supports_payouts = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The gateway reports its payouts: they become bank statement lines in the "
        "clearing journal.",
    )
    payment_journal_id = fields.Many2one(
        "account.journal",
        string="Payment Journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="The bank journal the gateway's payments and refunds are registered in (a "
        "clearing account until the payout reaches the bank).",
    )
    payment_fee_account_id = fields.Many2one(
        "account.account",
        string="Gateway Fee Account",
        help="Expense account for the fees the gateway reports with a payment. Empty: fees "
        "are not booked (the payment is booked gross).",
    )
    payment_activity_user_id = fields.Many2one(
        "res.users",
        string="Finance Contact",
        help="Who gets the activities for failed payments, chargebacks and payments to match. "
        "Empty: the invoice's salesperson.",
    )
    payment_publish_invoices = fields.Boolean(
        "Publish Posted Invoices",
        help="Each customer invoice posted in this system's company (and one of its "
        "currencies, when listed) is sent to the gateway, and the gateway's payment page is "
        "shown on the invoice and in the customer portal.",
    )
    payment_publish_currency_ids = fields.Many2many(
        "res.currency",
        "q2c_system_publish_currency_rel",
        "system_id",
        "currency_id",
        string="Published Currencies",
        help="Only invoices in these currencies are published. Empty: every currency.",
    )
    payment_payout_journal_id = fields.Many2one(
        "account.journal",
        string="Payout Clearing Journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        help="The bank journal in which each payout's transactions (payments, fees, refunds "
        "and the transfer to your bank) become statement lines, to reconcile with the "
        "payments q2c booked. Usually the Payment Journal. Empty: payouts are not imported.",
    )

    supports_standing_write_back = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system owns customer accounts (a CRM) and can receive their standing.",
    )
    standing_write_back = fields.Boolean(
        "Write Account Standing",
        help="When a customer's account standing changes, write it onto the customer's "
        "account in this system (the field is named below), through a job per change.",
    )

    @api.constrains(
        "payment_publish_invoices", "payment_publish_currency_ids", "company_id", "active"
    )
    def _check_one_publisher_per_currency(self):
        """At most one gateway system publishes a given currency in a company (docs/
        payments.md, "Publishing invoices"): with two, an invoice would go to whichever
        is found first, silently. No Published Currencies means every currency."""
        for system in self.filtered(lambda s: s.active and s.payment_publish_invoices):
            other = system._q2c_other_publisher()
            if other:
                raise ValidationError(
                    _(
                        "%(other)s already publishes the posted invoices of %(company)s in "
                        "%(currencies)s: a currency is published by one gateway only. Untick "
                        "Publish Posted Invoices on %(other)s, or give each system Published "
                        "Currencies of its own.",
                        other=other.name,
                        company=system.company_id.name,
                        currencies=system._q2c_shared_currencies(other),
                    )
                )

    def _q2c_shared_currencies(self, other):
        """The currencies both systems publish, in words."""
        mine, theirs = self.payment_publish_currency_ids, other.payment_publish_currency_ids
        shared = (mine & theirs) if mine and theirs else (mine or theirs)
        return ", ".join(shared.mapped("name")) or _("every currency")

    def _q2c_other_publisher(self):
        """Another active system of the same company that publishes invoices in one of this
        system's published currencies (none listed on either side: all), or nothing."""
        self.ensure_one()
        others = self.sudo().search(
            [
                ("id", "!=", self.id),
                ("company_id", "=", self.company_id.id),
                ("payment_publish_invoices", "=", True),
            ]
        )
        mine = self.payment_publish_currency_ids
        return others.filtered(
            lambda o: not mine
            or not o.payment_publish_currency_ids
            or mine & o.payment_publish_currency_ids
        )[:1]

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.update(
            {
                "supports_payments": False,
                "supports_invoice_publication": False,
                "supports_payouts": False,
                "supports_standing_write_back": False,
            }
        )
        return result

    def _standing_account_type(self):
        """The object type under which this system's customer accounts are bound to Odoo
        partners (q2c.external.ref): `account`, as CRM provisioning binds them. Override
        for a system that binds its customers under another type."""
        return "account"

    def _write_account_standing(self, account_id, standing):
        """Write a customer's account standing onto its account in this system.

        Called by the standing job (res.partner._q2c_push_standing), as the system's
        integration user, with the external id of the account and the standing's key
        (`good`, `payment_failed`, `on_hold`, `suspended`: the value written, see
        docs/payments.md). Only for systems with `supports_standing_write_back` and
        `standing_write_back` set. Returns nothing. Raises what `_call` raises
        (TransientError: the job retries; PermanentError: it fails with the reason). The
        job sends the standing current when it runs, so the write must be a plain
        overwrite of one field (a PATCH). Default: nothing to write.
        """

    def _acknowledges_unhandled(self):
        """A payment gateway (Stripe, Chargebee, PayPal) retries a refused delivery for days
        and sends every type its endpoint subscribes to: a type q2c does not handle is
        answered 200 and not stored."""
        return self.supports_payments or super()._acknowledges_unhandled()

    def _integration_user_groups(self):
        """A gateway's integration user registers payments and credit notes (Accounting:
        Billing), sets the customer's standing (Contact Creation) and, for a gateway with
        payouts imported, writes the clearing journal's statement lines (Accounting: Basic)."""
        groups = super()._integration_user_groups()
        if self.supports_payments:
            groups |= self.env.ref("account.group_account_invoice")
            groups |= self.env.ref("base.group_partner_manager")
        if self.supports_payouts and self.payment_payout_journal_id:
            groups |= self.env.ref("account.group_account_basic")
        return groups

    # --- outbound publication (set-up a) -----------------------------------------------------

    def _q2c_publishes(self, move):
        """Whether this system publishes the posted customer invoice `move`: the setting is
        on, same company, one of the listed currencies (or none listed). Override to refuse
        what the gateway cannot take (a currency it does not support)."""
        self.ensure_one()
        return bool(
            self.active
            and self.supports_invoice_publication
            and self.payment_publish_invoices
            and self.user_id
            and self.company_id == move.company_id
            and (
                not self.payment_publish_currency_ids
                or move.currency_id in self.payment_publish_currency_ids
            )
        )

    def _q2c_publish_invoice(self, move):
        """Offer the posted customer invoice `move` for online payment on the gateway.

        Called by the publication job (`account.move._q2c_publish_job`) as the system's
        integration user, at most once per invoice that has no external id yet; a call may
        be repeated after a failure or a crash, so every request that creates something on
        the gateway carries `_q2c_idempotency_key(move, step)` and a repeat creates nothing
        twice. Returns {"external_id": the gateway's id of what it created, "url": the page
        where the customer pays}. Raises TransientError (retried later), PermanentError or
        UserError (the publication fails with the reason). Connectors override it for their
        own type (`supports_invoice_publication`)."""
        raise NotImplementedError(
            _("%s cannot publish invoices.", self.display_name or self.system_type)
        )

    def _q2c_void_published_invoice(self, move):
        """Void the gateway copy of `move` (published by `_q2c_publish_invoice`, its id in
        `move.q2c_publication_external_id`) so the customer can no longer pay it.

        Called by the update job (`account.move._q2c_gateway_update_job`) as the system's
        integration user, once the Odoo invoice is cancelled or fully reversed and q2c
        booked no payment of it; it may be repeated after a failure, so a request that
        changes the copy carries `_q2c_idempotency_key(move, step)`. Returns "voided"
        (voided now, or already void at the gateway) or "paid" (the gateway says the copy
        is paid, or being paid: nothing is voided and Finance is told). Raises
        TransientError (retried), PermanentError or UserError (the invoice shows Failed
        with the reason; the hourly batch job tries again)."""
        raise UserError(_("%s cannot void published invoices.", self.display_name))

    def _q2c_mark_published_invoice_paid(self, move, amount):
        """Tell the gateway that `amount` (in the invoice's currency) of `move` was paid
        another way (a bank transfer registered in Odoo), so its copy no longer asks the
        customer for it. `move.amount_residual` zero: the invoice is now fully paid.

        Called by the update job as the system's integration user, each time the amount
        paid another way grows (`amount` is the growth, never what was told before); a
        repeat after a failure must record nothing twice (idempotency keys). Returns
        "paid" (the copy is closed), "partial" (a partial payment recorded) or "skipped"
        (the gateway cannot take a partial payment: nothing sent, Finance is told). Raises
        as `_q2c_void_published_invoice`."""
        raise UserError(_("%s cannot mark published invoices paid.", self.display_name))

    def _q2c_idempotency_key(self, record, step):
        """The same key for the same step of the same record in this database, whatever the
        try: q2c-<database uuid>-<invoice id>-<step> for an invoice (account.move), and
        q2c-<database uuid>-<model>-<record id>-<step> for another record (a customer)."""
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        prefix = "" if record._name == "account.move" else f"{record._name.replace('.', '_')}-"
        return f"q2c-{uuid}-{prefix}{record.id}-{step}"
