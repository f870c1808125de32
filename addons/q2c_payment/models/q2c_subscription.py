"""A subscription billed by a gateway (set-up b: the billing platform invoices), mirrored
from its events: plan, status, current term and MRR, and the Odoo invoices mirrored from its
gateway invoices. Written only by the mirror (`q2c.payment.mirror._mirror_subscription`)."""

from odoo import _, api, fields, models
from odoo.tools import format_amount

STATUSES = [
    ("future", "Starts Later"),
    ("in_trial", "In Trial"),
    ("active", "Active"),
    ("non_renewing", "Not Renewing"),
    ("paused", "Paused"),
    ("cancelled", "Cancelled"),
]


class Q2cSubscription(models.Model):
    _name = "q2c.subscription"
    _description = "Gateway Subscription"
    _inherit = ["mail.thread", "mail.activity.mixin", "q2c.guarded.mixin"]
    _order = "status_rank, term_end desc, id desc"
    _check_company_auto = True
    # Finance reads subscriptions; it answers their activities and notes without writing them.
    _mail_post_access = "read"

    name = fields.Char(compute="_compute_name", store=True)
    system_id = fields.Many2one("q2c.system", "Gateway", required=True, ondelete="restrict")
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    external_id = fields.Char("Gateway Subscription", required=True, index=True)
    partner_id = fields.Many2one("res.partner", "Customer", index=True, tracking=True)
    plan = fields.Char(tracking=True)
    status = fields.Selection(STATUSES, required=True, default="active", tracking=True)
    status_rank = fields.Integer(compute="_compute_status_rank", store=True)
    term_start = fields.Date("Current Term From", tracking=True)
    term_end = fields.Date("Current Term To", tracking=True)
    currency_id = fields.Many2one("res.currency", required=True)
    mrr = fields.Monetary(
        "MRR",
        tracking=True,
        help="Monthly recurring revenue of the subscription, in its own currency, as the "
        "gateway reports it (or its plan's price brought to one month).",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    mrr_company = fields.Monetary(
        "MRR (Company Currency)",
        currency_field="company_currency_id",
        help="The MRR converted at the rate of the day it was last reported.",
    )
    cancelled_on = fields.Date(tracking=True)
    last_event_at = fields.Datetime(
        "Last Change at the Gateway",
        help="When the gateway made the change last mirrored: an older event arriving late "
        "changes nothing.",
    )
    invoice_ids = fields.One2many("account.move", "q2c_subscription_id", "Invoices")
    invoice_count = fields.Integer(compute="_compute_invoice_count")

    _sql_constraints = [
        (
            "external_unique",
            "unique(system_id, external_id)",
            "A gateway subscription is mirrored once.",
        )
    ]

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {
            "partner_id",
            "plan",
            "status",
            "term_start",
            "term_end",
            "currency_id",
            "mrr",
            "mrr_company",
            "cancelled_on",
            "last_event_at",
        }

    @api.depends("plan", "external_id")
    def _compute_name(self):
        for row in self:
            row.name = " ".join(filter(None, [row.plan, f"({row.external_id})"]))

    @api.depends("status")
    def _compute_status_rank(self):
        for row in self:
            # Live subscriptions first, cancelled ones last.
            row.status_rank = 1 if row.status == "cancelled" else 0

    def _compute_invoice_count(self):
        counts = dict(
            self.env["account.move"]._read_group(
                [("q2c_subscription_id", "in", self.ids)], ["q2c_subscription_id"], ["__count"]
            )
        )
        for row in self:
            row.invoice_count = counts.get(row, 0)

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("account.action_move_out_invoice_type")
        action.update(
            {
                "domain": [("q2c_subscription_id", "=", self.id)],
                "context": {"default_move_type": "out_invoice", "create": False},
                "name": _("Invoices of %s", self.name),
            }
        )
        return action

    def _q2c_note_cancelled(self, system):
        """A cancelled subscription closes nothing by itself: its open invoices stay open
        (the customer still owes them), and Finance gets an activity saying which."""
        self.ensure_one()
        open_invoices = self.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice"
            and move.state == "posted"
            and not move.currency_id.is_zero(move.amount_residual)
        )
        if open_invoices:
            summary = _(
                "Subscription %(name)s cancelled: %(count)s invoice(s) stay open, %(due)s due",
                name=self.name,
                count=len(open_invoices),
                due=format_amount(
                    self.env, sum(open_invoices.mapped("amount_residual")), self.currency_id
                ),
            )
            note = _(
                "Still open: %s. q2c closes nothing: collect them, or credit them at the "
                "gateway (the credit note is mirrored here).",
                ", ".join(open_invoices.mapped("name")),
            )
        else:
            summary = _("Subscription %s cancelled: no invoice open", self.name)
            note = _("Nothing is owed on it in Odoo.")
        self.message_post(body=_("%(summary)s. %(note)s", summary=summary, note=note))
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=(system.payment_activity_user_id or self.env.user).id,
        )
