from odoo import api, fields, models

# Corrections after billing (billing-domain.md 1.9): where reversals and replacements settle.
CORRECTION_POLICIES = [
    ("next_invoice", "On the next invoice"),
    ("credit_note", "By a credit note"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    q2c_billing_auto_post = fields.Boolean(
        string="Post Billing Runs Automatically",
        help="A billing run whose contracts need no pre-bill review posts its invoices as soon "
        "as they are built. Off (the default): Finance posts them from the run.",
    )
    q2c_correction_policy = fields.Selection(
        CORRECTION_POLICIES,
        string="Corrections after Billing",
        default="next_invoice",
        required=True,
        help="Where reversals and replacements of billed time and expenses settle: as lines "
        "of the next invoice naming the invoice they correct, or by a credit note for their "
        "net on that invoice. A period whose net is a credit gets a credit note either way. "
        "A contract may choose otherwise.",
    )
    # Retainers (billing-domain.md 1.4): the advance is a liability until used or expired.
    q2c_retainer_account_id = fields.Many2one(
        "account.account",
        string="Retainer Advances Account",
        check_company=True,
        domain="[('account_type', 'in', ('liability_current', 'liability_non_current'))]",
        help="Customer advances (deferred revenue): retainer and top-up lines are credited "
        "to it, the usage they cover and the breakage at expiry are debited from it. "
        "Retainer contracts are not billed until it is set.",
    )
    q2c_retainer_breakage_account_id = fields.Many2one(
        "account.account",
        string="Retainer Breakage Account",
        check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Revenue credited with what is left of retainer funds at their expiry. Empty: "
        "the income account of the sales journal.",
    )
    q2c_retainer_journal_id = fields.Many2one(
        "account.journal",
        string="Retainer Breakage Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="The journal of the breakage entries. Empty: the company's first miscellaneous "
        "journal.",
    )

    @api.model
    def _q2c_demo_retainer_accounts(self):
        """Demo data only: give the main company a retainer advances account (the first current
        liability of its chart), so that the demo retainer contract bills in a run. Does
        nothing without a chart of accounts or when the account is already set."""
        company = self.env.ref("base.main_company")
        if company.q2c_retainer_account_id:
            return
        account = self.env["account.account"].search(
            [
                *self.env["account.account"]._check_company_domain(company),
                ("account_type", "=", "liability_current"),
            ],
            order="code",
            limit=1,
        )
        if account:
            company.q2c_retainer_account_id = account
