from odoo import api, fields, models


def _billing_statuses(report):
    lines = report.env["account.analytic.line"]
    return lines._fields["q2c_billing_status"]._description_selection(report.env)


def _approval_states(report):
    lines = report.env["account.analytic.line"]
    return lines._fields["q2c_approval_state"]._description_selection(report.env)


class TimesheetsAnalysisReport(models.Model):
    """The q2c fields the timesheet search view filters and groups on, in the timesheet
    report too: Odoo builds a report's search view from the timesheets' search view with
    every extension of it (sale_timesheet's does), so a field q2c adds there must exist
    here as well, or installing sale_timesheet beside q2c fails."""

    _inherit = "timesheets.analysis.report"

    q2c_external_id = fields.Char("External ID", readonly=True)
    q2c_system_id = fields.Many2one("q2c.system", string="System", readonly=True)
    q2c_contract_id = fields.Many2one("q2c.contract", string="Contract", readonly=True)
    q2c_billing_status = fields.Selection(
        _billing_statuses, string="Billing Status", readonly=True
    )
    q2c_approval_state = fields.Selection(_approval_states, string="Approval", readonly=True)

    @api.model
    def _select(self):
        return (
            super()._select()
            + """,
                A.q2c_external_id AS q2c_external_id,
                A.q2c_system_id AS q2c_system_id,
                A.q2c_contract_id AS q2c_contract_id,
                A.q2c_billing_status AS q2c_billing_status,
                A.q2c_approval_state AS q2c_approval_state
        """
        )
