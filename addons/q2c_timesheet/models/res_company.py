from odoo import fields, models

# How time entered in Odoo itself (Timesheets app, a task's timesheets) is approved.
TIME_APPROVAL_MODES = [
    ("on_entry", "Approved when entered"),
    ("project_manager", "Approved by the project manager"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    q2c_time_approval = fields.Selection(
        TIME_APPROVAL_MODES,
        string="Approval of Time Entered in Odoo",
        required=True,
        default="on_entry",
        help="Time logged in Odoo on a contract's project: approved when entered (billed by "
        "the next run), or waiting until the contract or project manager (or Finance) "
        "approves it. Time from other systems arrives with its own approval.",
    )
