from odoo import fields, models

KINDS = [
    ("full", "Accepted in full"),
    ("share", "Accepted share"),
    ("balance", "Balance (remainder)"),
]


class Q2cMilestoneShare(models.Model):
    """What one invoice line billed on one milestone (billing-domain.md 1.3): the whole
    milestone, the share accepted so far, or the balance once it is accepted in full. The
    milestone's billed amount is the sum of its shares; deleting the invoice line (its run
    cancelled) frees the share through the milestone's "unbill" transition."""

    _name = "q2c.milestone.share"
    _description = "Billed Milestone Share"
    _order = "milestone_id, id"
    _check_company_auto = True
    _rec_name = "milestone_id"

    milestone_id = fields.Many2one(
        "q2c.contract.milestone",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    contract_id = fields.Many2one(related="milestone_id.contract_id", store=True, index=True)
    company_id = fields.Many2one(related="milestone_id.company_id", store=True)
    currency_id = fields.Many2one(related="milestone_id.currency_id")
    invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice Line",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    invoice_id = fields.Many2one(
        related="invoice_line_id.move_id", string="Invoice", store=True, index=True
    )
    invoice_state = fields.Selection(related="invoice_id.state", string="Invoice Status")
    kind = fields.Selection(KINDS, required=True, readonly=True)
    accepted_share = fields.Float(
        string="Accepted (%)",
        digits=(7, 4),
        readonly=True,
        help="The milestone's cumulative accepted share this line billed up to.",
    )
    accepted_date = fields.Date(readonly=True)
    deemed = fields.Boolean(string="Deemed Accepted", readonly=True)
    amount = fields.Monetary(required=True, readonly=True)

    _sql_constraints = [
        (
            "milestone_invoice_uniq",
            "unique(milestone_id, invoice_id)",
            "An invoice bills a milestone once.",
        ),
    ]

    def _q2c_free(self):
        """The invoice line that billed these shares is deleted: each amount is to bill
        again (the milestone's own "unbill" transition), and the share goes."""
        for share in self:
            share.milestone_id._unbill(share.amount)
        return self.unlink()
