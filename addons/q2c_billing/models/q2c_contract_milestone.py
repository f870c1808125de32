from odoo import fields, models


class Q2cContractMilestone(models.Model):
    _inherit = "q2c.contract.milestone"

    billed_share_ids = fields.One2many(
        "q2c.milestone.share", "milestone_id", string="Billed Shares", readonly=True
    )

    def _q2c_bill_share(self, invoice_line, spec):
        """Record that `invoice_line` billed `spec["amount"]` on this milestone: the
        milestone's "bill" transition, and the share pointing to the invoice line."""
        self.ensure_one()
        self._bill(spec["amount"])
        return self.env["q2c.milestone.share"].create(
            {
                "milestone_id": self.id,
                "invoice_line_id": invoice_line.id,
                "kind": spec["kind"],
                "accepted_share": spec["accepted_share"],
                "accepted_date": spec["accepted_date"],
                "deemed": self.deemed,
                "amount": spec["amount"],
            }
        )
