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

    def _compute_feature_support_fields(self):
        result = super()._compute_feature_support_fields()
        self.update({"supports_payments": False})
        return result

    def _integration_user_groups(self):
        """A gateway's integration user registers payments and credit notes (Accounting:
        Billing) and sets the customer's standing (Contact Creation)."""
        groups = super()._integration_user_groups()
        if self.supports_payments:
            groups |= self.env.ref("account.group_account_invoice")
            groups |= self.env.ref("base.group_partner_manager")
        return groups
