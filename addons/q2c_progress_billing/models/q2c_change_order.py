"""Construction change directives (billing-domain.md 2.5 and 3.1; AIA G714, A201 §7.3.9).

The owner directs the work before the price of its change order is agreed: the change order
stays pending, and the undisputed amount of the directive becomes billable at once on a
schedule-of-values line of its own, flagged as a directive. When the change order is approved,
that line becomes the change order's new line (its scheduled value is then the approved
amount, through the change ledger); what was billed on it stays.
"""

from odoo import _, api, fields, models
from odoo.addons.q2c_contract.models.q2c_contract_sov_line import CHANGE_ORDER_EFFECT
from odoo.exceptions import AccessError, UserError, ValidationError

FINANCE = "q2c_contract.group_q2c_finance"


class Q2cChangeOrder(models.Model):
    _inherit = "q2c.change.order"

    directive_amount = fields.Monetary(
        string="Undisputed Amount",
        copy=False,
        tracking=True,
        help="Construction change directive: the part of the price the owner does not "
        "dispute, billable before the change order is signed.",
    )
    directive_date = fields.Date(
        string="Directive Issued On", readonly=True, copy=False, tracking=True
    )
    directive_sov_line_id = fields.Many2one(
        "q2c.contract.sov.line",
        string="Directive Line",
        compute="_compute_directive_sov_line_id",
        help="The schedule-of-values line the directive opened.",
    )
    can_issue_directive = fields.Boolean(compute="_compute_can_issue_directive")

    def _free_fields(self):
        # Entered while the change order is pending, before the directive is issued.
        return super()._free_fields() | {"directive_amount", "directive_date"}

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {"directive_date"}

    @api.depends("number", "directive_date")
    def _compute_directive_sov_line_id(self):
        for order in self:
            order.directive_sov_line_id = order._directive_line()

    @api.depends_context("uid")
    @api.depends("state", "billing_model", "has_newer_revision", "directive_date")
    def _compute_can_issue_directive(self):
        for order in self:
            order.can_issue_directive = (
                order.state == "submitted"
                and order.billing_model == "progress"
                and not order.has_newer_revision
                and not order._directive_line()
                and order._user_may("submit")
            )

    def _directive_line(self):
        """The directive line of this change order or of any of its revisions."""
        self.ensure_one()
        if not self.id or not self.number:
            return self.env["q2c.contract.sov.line"]
        return (
            self.env["q2c.contract.sov.line"]
            .with_context(active_test=False)
            .search(
                [
                    ("contract_id", "=", self.contract_id.id),
                    ("ccd_date", "!=", False),
                    ("change_order_id", "in", self._revisions().ids),
                ],
                limit=1,
            )
        )

    def write(self, vals):
        if "directive_amount" in vals:
            for order in self:
                if order._directive_line():
                    raise UserError(
                        _(
                            "The directive of %s was issued: its undisputed amount is kept.",
                            order.display_name,
                        )
                    )
        return super().write(vals)

    def action_issue_directive(self, amount=None, date=None):
        """The owner directs the work (CCD): a schedule-of-values line flagged as a directive,
        scheduled at the undisputed amount, billable from the pay application whose period
        contains the directive's date (billing-domain.md 2.5). The change order stays
        pending; pending change orders without a directive never reach a pay application."""
        for order in self:
            order.check_access("write")
            if not (order._user_may("submit") or self.env.su):
                raise AccessError(
                    _(
                        "Only the project manager, the contract manager, the requester or "
                        "Finance may record the directive of %s.",
                        order.display_name,
                    )
                )
            if order.billing_model != "progress":
                raise UserError(
                    _(
                        "%s: a construction change directive is billed on a pay application; "
                        "its contract is not billed by progress.",
                        order.display_name,
                    )
                )
            if order.state != "submitted" or order.has_newer_revision:
                raise UserError(
                    _(
                        "%s: a directive is recorded on the latest revision of a change order "
                        "waiting for approval.",
                        order.display_name,
                    )
                )
            if order._directive_line():
                raise UserError(_("The directive of %s was issued already.", order.display_name))
            undisputed = order.directive_amount if amount is None else amount
            currency = order.currency_id
            if currency.compare_amounts(undisputed, 0.0) <= 0:
                raise ValidationError(
                    _(
                        "%s: enter the undisputed amount of the directive (more than zero).",
                        order.display_name,
                    )
                )
            if currency.compare_amounts(undisputed, order.amount_total) > 0:
                raise ValidationError(
                    _(
                        "%(order)s: the undisputed amount (%(amount)s) is more than the "
                        "amount requested (%(requested)s).",
                        order=order.display_name,
                        amount=order.contract_id._fmt(undisputed),
                        requested=order.contract_id._fmt(order.amount_total),
                    )
                )
            day = date or fields.Date.context_today(order)
            if amount is not None:
                order.write({"directive_amount": amount})
            line = order._create_sov_line({"lines": order.line_ids})
            line._q2c_guarded_write({"ccd": True, "ccd_amount": undisputed, "ccd_date": day})
            order._q2c_guarded_write({"directive_date": day})
            order.message_post(
                body=_(
                    "Directive issued on %(date)s: %(amount)s undisputed, billable on line "
                    "%(line)s before the change order is signed.",
                    date=fields.Date.to_string(day),
                    amount=order.contract_id._fmt(undisputed),
                    line=line.display_name,
                )
            )
        return True

    def _create_sov_line(self, group):
        """On approval, the directive's line becomes the change order's new line (2.5): its
        scheduled value is then the approved amount, through the change ledger."""
        line = self._directive_line() if self.state == "approved" else None
        if line and line.ccd:
            line.write({"change_order_id": self.id})
            line._q2c_guarded_write({"ccd": False})
            return line
        return super()._create_sov_line(group)

    def action_void(self, reason=None):
        """A voided change order takes its directive's line away, unless it was billed."""
        for order in self.filtered(lambda o: o.state != "approved"):
            line = order._directive_line()
            if not (line and line.ccd):
                continue
            if not line.currency_id.is_zero(line.billed_amount):
                raise UserError(
                    _(
                        "%(order)s: %(amount)s was billed under its directive (line "
                        "%(line)s); it is approved or revised, not voided.",
                        order=order.display_name,
                        amount=order.contract_id._fmt(line.billed_amount),
                        line=line.display_name,
                    )
                )
        result = super().action_void(reason)
        for order in self.filtered(lambda o: o.state == "void"):
            line = order._directive_line()
            if line and line.ccd and line.active:
                line.with_context(q2c_change_order_effect=CHANGE_ORDER_EFFECT).write(
                    {"active": False}
                )
        return result
