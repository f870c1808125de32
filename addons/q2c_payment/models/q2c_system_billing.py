from odoo import fields, models

INVOICING = [
    ("odoo", "Odoo invoices, the gateway collects"),
    ("gateway", "The gateway invoices (subscriptions), Odoo mirrors"),
]


class Q2cSystem(models.Model):
    """Who invoices, per gateway (docs/payments.md): Odoo (set-up a, the default: the
    gateway's payments settle Odoo's invoices) or the gateway's billing (set-up b: its
    subscriptions, invoices and credit notes are mirrored into Odoo once each)."""

    _inherit = "q2c.system"

    payment_invoicing = fields.Selection(
        INVOICING,
        string="Who Invoices",
        default="odoo",
        tracking=True,
        help="Odoo invoices: the gateway's payments, refunds and chargebacks settle invoices "
        "made in Odoo. The gateway invoices: its subscriptions, invoices and credit notes "
        "are copied into Odoo (posted once each), and its payments settle those copies.",
    )
    payment_invoice_journal_id = fields.Many2one(
        "account.journal",
        string="Invoice Journal",
        domain="[('type', '=', 'sale'), ('company_id', '=', company_id)]",
        help="The sales journal the gateway's invoices and credit notes are copied into (its "
        "income account takes their lines). Empty: the company's first sales journal.",
    )
    payment_sales_tax_id = fields.Many2one(
        "account.tax",
        string="Sales Tax",
        domain="[('type_tax_use', '=', 'sale'), ('company_id', '=', company_id)]",
        help="The Odoo tax of the gateway's taxed invoice lines. A copied document's total must "
        "equal the gateway's, else it is not booked and the event says why.",
    )

    def _payment_mirrors_invoices(self):
        """Whether the gateway's invoices and credit notes are copied into Odoo."""
        return self.supports_payments and self.payment_invoicing == "gateway"
