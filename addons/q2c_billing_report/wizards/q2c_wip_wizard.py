from odoo import _, fields, models

from ..models.q2c_wip_report import CONTEXT_KEY


class Q2cWipWizard(models.TransientModel):
    """Asks the as-of date of the WIP report and opens it (billing-domain.md 1.7)."""

    _name = "q2c.wip.wizard"
    _description = "WIP as of a Date"

    as_of_date = fields.Date(
        "As of",
        required=True,
        default=fields.Date.context_today,
        help="Work done on or before this date and not billed by then, with its approval "
        "as it stood that day. An invoice counts from its invoice date once posted.",
    )

    def action_open_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_billing_report.q2c_wip_report_action"
        )
        as_of = fields.Date.to_string(self.as_of_date)
        # The window title: the web client reads display_name before name.
        action["name"] = action["display_name"] = _("WIP as of %(date)s", date=as_of)
        action["context"] = {CONTEXT_KEY: as_of}
        return action
