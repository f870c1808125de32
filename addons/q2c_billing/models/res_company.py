from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    q2c_billing_auto_post = fields.Boolean(
        string="Post Billing Runs Automatically",
        help="A billing run whose contracts need no pre-bill review posts its invoices as soon "
        "as they are built. Off (the default): Finance posts them from the run.",
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
