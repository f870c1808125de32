from odoo import fields, models


class AccountMove(models.Model):
    """A customer invoice or credit note copied from a gateway's subscription billing
    (set-up b) points to its subscription."""

    _inherit = "account.move"

    q2c_subscription_id = fields.Many2one(
        "q2c.subscription",
        string="Subscription",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The gateway subscription this invoice was billed for (copied from the gateway).",
    )
