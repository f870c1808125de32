from odoo import _, fields, models

STANDINGS = [
    ("good", "Good"),
    ("payment_failed", "Payment Failed"),
    ("on_hold", "On Hold"),
    ("suspended", "Suspended"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    q2c_standing = fields.Selection(
        STANDINGS,
        string="Account Standing",
        default="good",
        required=True,
        tracking=True,
        help="Set to Payment Failed by a failed gateway payment and back to Good when a "
        "payment of the customer succeeds; On Hold and Suspended are Finance's decisions and "
        "are left alone by payments.",
    )

    def _q2c_payment_failed(self, summary, user):
        """A failed payment: a customer in good standing becomes Payment Failed, and Finance
        gets an activity (once per failure: the caller records each failure once)."""
        customer = self.commercial_partner_id
        if customer.q2c_standing == "good":
            customer.q2c_standing = "payment_failed"
        customer.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Payment failed: %s", summary),
            user_id=user.id,
        )

    def _q2c_payment_recovered(self):
        """A payment went through: Payment Failed returns to Good (On Hold and Suspended
        stay: a person set them)."""
        customer = self.commercial_partner_id
        if customer.q2c_standing == "payment_failed":
            customer.q2c_standing = "good"
            customer.message_post(body=_("A payment went through: standing back to Good."))
