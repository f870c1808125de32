from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# Context marker of the change-order effects that may add and retire lines of a signed
# contract's schedule of values; an object, so that it cannot come from an RPC payload.
CHANGE_ORDER_EFFECT = object()


class Q2cContractSovLine(models.Model):
    """One line of a construction contract's schedule of values (AIA G703 columns A to C).

    The scheduled value is the original value plus the change entries of approved change
    orders; after signature it changes only through them (billing-domain.md 2.1 and 3.5).
    """

    _name = "q2c.contract.sov.line"
    _description = "Schedule of Values Line"
    _inherit = ["q2c.guarded.mixin"]
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    item_no = fields.Char(string="Item No.", required=True)
    name = fields.Char(string="Description of Work", required=True)
    cost_code = fields.Char()
    original_value = fields.Monetary(string="Original Value")
    change_entry_ids = fields.One2many(
        "q2c.contract.change.entry", "sov_line_id", string="Change Entries", readonly=True
    )
    change_amount = fields.Monetary(
        string="Changes", compute="_compute_scheduled_value", store=True
    )
    scheduled_value = fields.Monetary(compute="_compute_scheduled_value", store=True)
    retainage_override = fields.Boolean(string="Own Retainage Rate")
    retainage_percent = fields.Float(string="Retainage (%)", digits=(5, 4))
    billed_amount = fields.Monetary(
        string="Completed to Date",
        readonly=True,
        copy=False,
        help="Work completed and stored to date (G703 column G); kept by billing.",
    )

    @api.depends("original_value", "change_entry_ids.amount")
    def _compute_scheduled_value(self):
        for line in self:
            changes = sum(line.change_entry_ids.mapped("amount"))
            line.change_amount = line.currency_id.round(changes)
            line.scheduled_value = line.currency_id.round(line.original_value + changes)

    @api.depends("item_no", "name")
    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.item_no} {line.name}"

    @api.constrains("retainage_percent")
    def _check_retainage(self):
        for line in self:
            if not 0.0 <= line.retainage_percent <= 100.0:
                raise ValidationError(
                    _(
                        "The retainage of line %(line)s must be between 0%% and 100%%.",
                        line=line.display_name,
                    )
                )

    def _check_not_below_billed(self):
        """A change may not take a line's value below what was already billed on it."""
        for line in self:
            currency = line.currency_id
            if currency.compare_amounts(line.billed_amount, 0.0) > 0 and (
                currency.compare_amounts(line.scheduled_value, line.billed_amount) < 0
            ):
                raise ValidationError(
                    _(
                        "Line %(line)s of %(contract)s would be scheduled at %(value)s, below the "
                        "%(billed)s already billed on it.",
                        line=line.display_name,
                        contract=line.contract_id.display_name,
                        value=line.contract_id._fmt(line.scheduled_value),
                        billed=line.contract_id._fmt(line.billed_amount),
                    )
                )

    def _is_change_order_effect(self):
        """Whether an approved change order's effect makes this change (see CHANGE_ORDER_EFFECT).

        The marker is a Python object in the context: no RPC call can forge it.
        """
        return self.env.context.get("q2c_change_order_effect") is CHANGE_ORDER_EFFECT

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not self._is_change_order_effect():
            lines.contract_id._check_sov_editable()
        return lines

    def _q2c_guarded_fields(self):
        """Completed to date is kept by billing only."""
        return super()._q2c_guarded_fields() | {"billed_amount"}

    def write(self, vals):
        if {"original_value", "contract_id", "active"} & set(vals) and not (
            self._is_change_order_effect()
        ):
            self.contract_id._check_sov_editable()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        for line in self:
            if not line.currency_id.is_zero(line.billed_amount) or line.change_entry_ids:
                raise UserError(
                    _(
                        "Line %(line)s was billed or changed; it is never deleted.",
                        line=line.display_name,
                    )
                )
        self.contract_id._check_sov_editable()
