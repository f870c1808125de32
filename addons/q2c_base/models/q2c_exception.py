from odoo import _, api, fields, models

KINDS = [
    ("duplicate", "Possible duplicate"),
    ("ownership", "Field ownership conflict"),
    ("missing_data", "Missing data"),
    ("other", "Other"),
]


class Q2cException(models.Model):
    """A case an integration cannot decide alone; a person resolves it."""

    _name = "q2c.exception"
    _description = "Integration Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, id desc"
    _check_company_auto = True

    name = fields.Char(required=True)
    kind = fields.Selection(KINDS, required=True, default="other")
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved")], default="open", required=True, tracking=True
    )
    system_id = fields.Many2one("q2c.system", ondelete="cascade", index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    event_id = fields.Many2one("q2c.event", ondelete="set null", index=True)
    details = fields.Text()
    res_model = fields.Char("Model")
    res_id = fields.Many2oneReference("Record ID", model_field="res_model")
    resolution = fields.Text(tracking=True)

    @api.model
    def _raise(self, name, kind="other", system=None, event=None, details="", record=None):
        """Open an exception and give the integration managers a to-do about it."""
        exception = self.sudo().create(
            {
                "name": name,
                "kind": kind,
                "details": details,
                "system_id": system.id if system else False,
                "company_id": (system.company_id if system else self.env.company).id,
                "event_id": event.id if event else False,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            }
        )
        manager = self.env.ref("q2c_base.group_integration_manager").users.filtered(
            lambda u: u.active and not u.share and exception.company_id in u.company_ids
        )[:1]
        if manager:
            exception.activity_schedule(
                "mail.mail_activity_data_todo", summary=name, user_id=manager.id
            )
        return exception

    def action_resolve(self):
        self.check_access("write")
        for exception in self:
            exception.write({"state": "resolved"})
            exception.activity_ids.action_done()
            exception.message_post(body=_("Resolved by %s.", self.env.user.name))
        return True
