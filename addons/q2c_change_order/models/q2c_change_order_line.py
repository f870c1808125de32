from odoo import _, api, fields, models
from odoo.addons.q2c_contract.money import line_amount
from odoo.exceptions import AccessError, UserError

from .q2c_change_order import DECISION_FIELDS, PENDING_STATES, TARGETS, WORKFLOW

CATEGORIES = [
    ("labor", "Labor"),
    ("material", "Material"),
    ("equipment", "Equipment"),
    ("subcontract", "Subcontract"),
    ("other", "Other"),
]
DECISIONS = [
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("revised", "Approved at a revised amount"),
    ("rejected", "Rejected"),
]
DEFAULT_TARGET = {
    "progress": "sov_new",
    "fixed_fee": "milestone",
    "time_and_materials": "contract_value",
    "retainer": "contract_value",
}


class Q2cChangeOrderLine(models.Model):
    _name = "q2c.change.order.line"
    _description = "Change Order Line"
    _order = "change_order_id, sequence, id"
    _check_company_auto = True

    change_order_id = fields.Many2one(
        "q2c.change.order", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="change_order_id.company_id", store=True)
    currency_id = fields.Many2one(related="change_order_id.currency_id", store=True)
    contract_id = fields.Many2one(related="change_order_id.contract_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Description", required=True)
    category = fields.Selection(CATEGORIES, required=True, default="other")
    target = fields.Selection(
        TARGETS,
        string="Changes",
        required=True,
        compute="_compute_target",
        store=True,
        readonly=False,
        precompute=True,
    )
    sov_line_id = fields.Many2one(
        "q2c.contract.sov.line",
        string="SOV Line",
        check_company=True,
        domain="[('contract_id', '=', contract_id)]",
    )
    cost_code = fields.Char(help="For a new schedule-of-values line.")
    quantity = fields.Float(digits="Product Unit of Measure", default=1.0)
    unit_price = fields.Float(digits="Product Price", help="Negative for a deduction.")
    amount = fields.Monetary(compute="_compute_amount", store=True)
    unit_cost = fields.Float(digits="Product Price", help="Estimated internal cost per unit.")
    cost_amount = fields.Monetary(string="Estimated Cost", compute="_compute_amount", store=True)
    decision = fields.Selection(DECISIONS, default="pending", required=True, copy=False)
    revised_amount = fields.Monetary(copy=False)
    approved_amount = fields.Monetary(compute="_compute_approved_amount", store=True)

    @api.depends("change_order_id.contract_id.billing_model")
    def _compute_target(self):
        for line in self:
            if not line.target:
                model = line.change_order_id.contract_id.billing_model
                line.target = DEFAULT_TARGET.get(model, "contract_value")

    @api.depends("quantity", "unit_price", "unit_cost", "currency_id")
    def _compute_amount(self):
        for line in self:
            currency = line.currency_id or self.env.company.currency_id
            line.amount = line_amount(currency, line.quantity, line.unit_price)
            line.cost_amount = line_amount(currency, line.quantity, line.unit_cost)

    @api.depends("amount", "decision", "revised_amount")
    def _compute_approved_amount(self):
        for line in self:
            if line.decision == "rejected":
                line.approved_amount = 0.0
            elif line.decision == "revised":
                line.approved_amount = line.revised_amount
            else:
                line.approved_amount = line.amount

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.change_order_id._check_editable()
        return lines

    def write(self, vals):
        decision = DECISION_FIELDS.intersection(vals)
        if set(vals) - DECISION_FIELDS:
            self.change_order_id._check_editable()
        if decision and self.env.context.get("q2c_co_workflow") is not WORKFLOW:
            self._check_can_decide()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        self.change_order_id._check_editable()

    def _check_can_decide(self):
        """Per-line decisions (partial approval) belong to the approvers of a submitted order."""
        for order in self.change_order_id:
            if order.state not in PENDING_STATES:
                raise UserError(
                    _("Lines of %s are decided only while it is submitted.", order.display_name)
                )
            if not order.can_approve:
                raise AccessError(
                    _(
                        "You cannot decide on the lines of %(order)s: it needs %(missing)s.",
                        order=order.display_name,
                        missing=order._missing_approvals_message() or _("no further approval"),
                    )
                )
