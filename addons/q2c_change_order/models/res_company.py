from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    q2c_co_finance_threshold = fields.Monetary(
        string="Finance Approval Above",
        currency_field="currency_id",
        help="Change orders whose amount (in absolute value, in the company currency) is above "
        "this need a Finance approval on top of the project manager's. Zero: never.",
    )
    q2c_co_segregation_of_duties = fields.Boolean(
        string="Segregation of Duties",
        default=True,
        help="Whoever requested or submitted a change order does not approve it. When that is "
        "the project manager, the contract manager or a Finance user approves in their place.",
    )
