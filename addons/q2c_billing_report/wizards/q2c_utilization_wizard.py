from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

PERIODS = [("month", "Month"), ("week", "Week")]
# A year and a bit: enough for a trend, bounded so one question stays a few seconds.
MAX_DAYS = 400


class Q2cUtilizationWizard(models.TransientModel):
    """Asks the period of the utilization report, computes it for the companies the user
    works in, and opens it grouped per employee and month or week (billing-domain.md 1.8)."""

    _name = "q2c.utilization.wizard"
    _description = "Utilization over a Period"

    @api.model
    def _default_date_from(self):
        return fields.Date.context_today(self).replace(day=1) - relativedelta(months=2)

    @api.model
    def _default_date_to(self):
        return fields.Date.context_today(self) + relativedelta(day=31)

    date_from = fields.Date("From", required=True, default=_default_date_from)
    date_to = fields.Date("To", required=True, default=_default_date_to)
    period = fields.Selection(PERIODS, string="Per", required=True, default="month")

    def action_open_report(self):
        self.ensure_one()
        if self.date_to < self.date_from:
            raise UserError(_("The period ends before it starts."))
        if (self.date_to - self.date_from).days > MAX_DAYS:
            raise UserError(_("Ask for %(days)s days at most.", days=MAX_DAYS))
        self.env["q2c.utilization.report"]._q2c_fill(
            self.date_from, self.date_to, self.env.companies
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_billing_report.q2c_utilization_report_action"
        )
        action["name"] = action["display_name"] = _(
            "Utilization %(date_from)s to %(date_to)s",
            date_from=fields.Date.to_string(self.date_from),
            date_to=fields.Date.to_string(self.date_to),
        )
        action["context"] = {
            "pivot_column_groupby": [f"date:{self.period}"],
            "pivot_row_groupby": ["employee_id"],
            "graph_groupbys": [f"date:{self.period}"],
        }
        return action
