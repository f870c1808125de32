from datetime import timedelta

from odoo import _, api, fields, models

# How long a new key works; "0": until revoked (Odoo's own "persistent" key).
VALIDITY = [
    ("90", "3 months"),
    ("180", "6 months"),
    ("365", "1 year"),
    ("0", "Until revoked"),
]


class Q2cApiKeyWizard(models.TransientModel):
    """Issues (or rotates) the API key of a system's integration user; the key itself is
    never stored here: it goes to the dialog that shows it once (`q2c.api.key.show`)."""

    _name = "q2c.api.key.wizard"
    _description = "Issue an Integration User's API Key"

    system_id = fields.Many2one("q2c.system", required=True, ondelete="cascade")
    user_id = fields.Many2one(related="system_id.user_id", string="Integration User")
    rotate = fields.Boolean(compute="_compute_rotate")
    validity = fields.Selection(VALIDITY, "Valid For", required=True, default="365")
    grace_hours = fields.Integer(
        "Previous Keys Valid For (hours)",
        default=24,
        help="The keys the user has now keep working this long, time to put the new key in "
        "the other system; then they expire. 0: they stop at once.",
    )

    @api.depends("system_id")
    def _compute_rotate(self):
        for wizard in self:
            wizard.rotate = bool(wizard.system_id.user_id and wizard.system_id._api_keys())

    def action_issue(self):
        self.ensure_one()
        days = int(self.validity)
        expiration = fields.Datetime.now() + timedelta(days=days) if days else None
        key = self.system_id._issue_api_key(
            expiration_date=expiration, grace_hours=self.grace_hours if self.rotate else None
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("API Key of %s", self.user_id.name),
            "res_model": "q2c.api.key.show",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            # As Odoo's own `res.users.apikeys.show`: the key lives only in this action.
            "context": {
                "default_key": key,
                "default_login": self.user_id.sudo().login,
                "default_expiration_date": fields.Datetime.to_string(expiration) or False,
            },
        }


class Q2cApiKeyShow(models.AbstractModel):
    """The dialog showing a new key once, as Odoo's `res.users.apikeys.show` does: an
    abstract model, so the key is never written to the database."""

    _name = "q2c.api.key.show"
    _description = "New API Key of an Integration User"

    # `id` is needed by the onchange that fills the fields from the context's defaults.
    id = fields.Id()
    key = fields.Char("API Key", readonly=True)
    login = fields.Char("Integration User's Login", readonly=True)
    expiration_date = fields.Datetime("Valid Until", readonly=True)
