from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class Q2cContractSovLine(models.Model):
    """Progress billing's part of a schedule-of-values line: its own rate on stored material
    (billing-domain.md 2.4) and, for a line a construction change directive opened, the
    directive's undisputed amount and date (2.5)."""

    _inherit = "q2c.contract.sov.line"

    retainage_stored_percent = fields.Float(
        string="Retainage on Stored (%)",
        digits=(5, 4),
        compute="_compute_retainage_stored_percent",
        store=True,
        readonly=False,
        help="With its own retainage rate, the rate on materials stored for this line; the "
        "rate on work until changed.",
    )
    ccd = fields.Boolean(
        string="Directive (CCD)",
        readonly=True,
        copy=False,
        help="Opened by a construction change directive whose change order is not signed yet: "
        "its undisputed amount is billable; the line becomes the change order's when it is "
        "approved.",
    )
    ccd_amount = fields.Monetary(
        string="Directive Amount",
        readonly=True,
        copy=False,
        help="The undisputed amount of the directive: the line's scheduled value on the pay "
        "applications until its change order is approved.",
    )
    ccd_date = fields.Date(string="Directive Issued On", readonly=True, copy=False)

    @api.depends("retainage_percent")
    def _compute_retainage_stored_percent(self):
        for line in self:
            line.retainage_stored_percent = line.retainage_percent

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {"ccd", "ccd_amount", "ccd_date"}

    @api.constrains("retainage_stored_percent")
    def _check_retainage_stored(self):
        for line in self:
            if not 0.0 <= line.retainage_stored_percent <= 100.0:
                raise ValidationError(
                    _(
                        "The retainage on stored material of line %(line)s must be between "
                        "0%% and 100%%.",
                        line=line.display_name,
                    )
                )
