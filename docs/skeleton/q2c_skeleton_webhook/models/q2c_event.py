import json

from odoo import _, models
from odoo.addons.q2c_base.exceptions import PermanentError

CONTACT_EVENTS = ("contact.created", "contact.updated")


class Q2cEvent(models.Model):
    _inherit = "q2c.event"

    def _get_handler(self):
        """The handler of each event type this connector applies; others are ignored."""
        if self.system_type == "skeleton" and self.event_type in CONTACT_EVENTS:
            return self._handle_skeleton_contact
        return super()._get_handler()

    def _handle_skeleton_contact(self):
        """Create or update the contact bound to the vendor's id. Runs as the system's
        integration user and must be idempotent: a replay, or the same change delivered
        twice under two event ids, leaves one contact with the latest values."""
        data = json.loads(self.sudo().payload).get("data") or {}
        if not data.get("id") or not data.get("name"):
            raise PermanentError(_("The contact has no id or no name."))
        refs = self.env["q2c.external.ref"]
        values = {"name": data["name"], "email": data.get("email") or False}
        partner = refs._find(self.system_id, "contact", data["id"])
        if partner:
            partner.write(values)
        else:
            partner = self.env["res.partner"].create(values)
            refs._bind(self.system_id, "contact", data["id"], partner)
        return partner
