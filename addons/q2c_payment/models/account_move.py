from odoo import fields, models

DISPUTE_STATES = [("open", "Disputed"), ("won", "Dispute Won"), ("lost", "Dispute Lost")]


class AccountMove(models.Model):
    _inherit = "account.move"

    q2c_dispute_state = fields.Selection(
        DISPUTE_STATES,
        string="Chargeback",
        copy=False,
        tracking=True,
        help="Set when the customer disputes a payment of this invoice with the card issuer "
        "(a chargeback); updated when the dispute closes.",
    )
