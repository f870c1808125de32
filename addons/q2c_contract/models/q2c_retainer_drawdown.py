from odoo import fields, models


class Q2cRetainerDrawdown(models.Model):
    """Usage applied to retainer funds (see `q2c.contract._retainer_draw`)."""

    _name = "q2c.retainer.drawdown"
    _description = "Retainer Drawdown"
    _order = "date, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    bucket_id = fields.Many2one(
        "q2c.retainer.bucket", required=True, ondelete="restrict", check_company=True
    )
    date = fields.Date(required=True)
    name = fields.Char(required=True)
    amount = fields.Monetary(required=True)
