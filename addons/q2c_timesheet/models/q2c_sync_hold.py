from odoo import fields, models


class Q2cSyncHold(models.Model):
    _inherit = "q2c.sync.hold"

    kind = fields.Selection(selection_add=[("time", "Time entry")], ondelete={"time": "cascade"})
