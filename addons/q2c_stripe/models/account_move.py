from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # Set-up b: written by the Stripe event handler only (q2c_event_billing).
    stripe_uncollectible = fields.Boolean(
        "Uncollectible in Stripe",
        copy=False,
        readonly=True,
        tracking=True,
        help="Stripe marked its invoice uncollectible and stopped collecting it. The invoice "
        "stays open here: the customer still owes it.",
    )

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {"stripe_uncollectible"}
