from odoo import fields, models


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    supports_payments = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system is a payment gateway: its events settle invoices.",
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

    supports_standing_write_back = fields.Boolean(
        compute="_compute_feature_support_fields",
        help="The system owns customer accounts (a CRM) and can receive their standing.",
    )
    standing_write_back = fields.Boolean(
        "Write Account Standing",
        help="When a customer's account standing changes, write it onto the customer's "
        "account in this system (the field is named below), through a job per change.",
    )

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.update({"supports_payments": False, "supports_standing_write_back": False})
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

    def _integration_user_groups(self):
        """A gateway's integration user registers payments and credit notes (Accounting:
        Billing) and sets the customer's standing (Contact Creation)."""
        groups = super()._integration_user_groups()
        if self.supports_payments:
            groups |= self.env.ref("account.group_account_invoice")
            groups |= self.env.ref("base.group_partner_manager")
        return groups
