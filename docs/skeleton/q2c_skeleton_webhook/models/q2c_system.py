import json

from odoo import _, fields, models
from odoo.addons.q2c_base.exceptions import RequestRejected, VerificationFailed

from .. import skeleton


class Q2cSystem(models.Model):
    _inherit = "q2c.system"

    # Registration: the type exists only while this addon is installed; uninstalling it turns
    # its systems into generic ones instead of leaving an unknown value behind.
    system_type = fields.Selection(
        selection_add=[("skeleton", "Skeleton")], ondelete={"skeleton": "set generic"}
    )
    # The connector's own settings: shown by this addon's view only.
    skeleton_account_id = fields.Char(
        "Skeleton Account", help="When set, events of another account are refused."
    )

    def _compute_feature_support_fields(self):
        """Capabilities: what the shared views and flows may offer for this type."""
        result = super()._compute_feature_support_fields()
        self.filtered(lambda s: s.system_type == "skeleton").update({"supports_webhook": True})
        return result

    def _verify_request(self, body, headers):
        """Verify on the raw bytes, before anything is parsed; fail closed."""
        if self.system_type != "skeleton":
            return super()._verify_request(body, headers)
        given = headers.get(skeleton.SIGNATURE_HEADER)
        if not skeleton.verify(given, body, self._webhook_secrets()):
            raise VerificationFailed("signature mismatch")

    def _parse_events(self, body, headers):
        """`{"account": ..., "events": [{"id", "type", "data"}]}`: one q2c event each."""
        if self.system_type != "skeleton":
            return super()._parse_events(body, headers)
        try:
            data = json.loads(body)
        # RecursionError: nesting deeper than Python's parser goes (a 400, not a 500).
        except (ValueError, UnicodeDecodeError, RecursionError) as error:
            raise RequestRejected(_("The body is not valid JSON: %s", error)) from error
        if not isinstance(data, dict) or not isinstance(data.get("events"), list):
            raise RequestRejected(_("The body must be an object with a list of events."))
        account = self.skeleton_account_id
        if account and str(data.get("account")) != account:
            raise RequestRejected(_("These events come from another account."))
        events = []
        for item in data["events"]:
            if not isinstance(item, dict) or not item.get("id") or not item.get("type"):
                raise RequestRejected(_("Each event needs an id and a type."))
            events.append(
                {
                    "external_id": str(item["id"]),
                    "event_type": str(item["type"]),
                    "payload": json.dumps(item),
                }
            )
        return events
