from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # Retainage withheld on pay applications is a receivable not yet due (billing-domain.md 2.4).
    q2c_retainage_account_id = fields.Many2one(
        "account.account",
        string="Retainage Receivable Account",
        check_company=True,
        domain="[('account_type', 'in', ('asset_current', 'asset_non_current'))]",
        help="The invoice of a pay application debits it with the retainage withheld; a "
        "retainage release credits it. Pay applications are not invoiced until it is set.",
    )

    @api.model
    def _q2c_demo_retainage_account(self):
        """Demo data only: give the main company a retainage receivable account (a current
        asset of its chart, created when the chart has none of that name). Does nothing
        without a chart of accounts or when the account is already set."""
        company = self.env.ref("base.main_company")
        if company.q2c_retainage_account_id:
            return
        Account = self.env["account.account"]
        domain = Account._check_company_domain(company)
        if not Account.search_count(domain, limit=1):
            return
        account = Account.search([*domain, ("code", "=", "132100")], limit=1)
        if not account:
            account = Account.create(
                {
                    "name": "Retainage Receivable",
                    "code": "132100",
                    "account_type": "asset_current",
                    "company_ids": [(6, 0, company.ids)],
                }
            )
        company.q2c_retainage_account_id = account
