from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..exceptions import Q2cError
from ..models.q2c_event import REPLAYABLE_STATES

CHOICES = [
    ("link", "Link to this existing customer"),
    ("new", "Create a new customer"),
    ("merge", "Merge the possible matches into one existing customer"),
]
MERGE_GROUP = "base.group_partner_manager"


class Q2cDuplicateWizard(models.TransientModel):
    """A person's choice on a possible duplicate customer: link the other system's record to
    an existing customer, have a new one created, or merge the existing ones (with Odoo's
    merge-contacts wizard) and link to the one kept. The exception is resolved with the
    choice and its event replays itself."""

    _name = "q2c.duplicate.wizard"
    _description = "Resolve a Possible Duplicate"

    exception_id = fields.Many2one("q2c.exception", required=True, ondelete="cascade")
    exception_name = fields.Char(related="exception_id.name", string="What Happened")
    candidate_partner_ids = fields.Many2many(
        related="exception_id.candidate_partner_ids", string="Possible Matches"
    )
    choice = fields.Selection(CHOICES, required=True, default="link")
    partner_id = fields.Many2one(
        "res.partner",
        string="Existing Customer",
        domain="[('id', 'in', candidate_partner_ids)]",
        help="The customer to link to; when merging, the one kept.",
    )
    merge_partner_ids = fields.Many2many(
        "res.partner",
        "q2c_duplicate_wizard_merge_rel",
        string="Merge Into It",
        domain="[('id', 'in', candidate_partner_ids), ('id', '!=', partner_id)]",
        help="The existing customers merged into the one kept (Odoo's merge of contacts: "
        "their documents move to it, they are deleted).",
    )
    can_merge = fields.Boolean(compute="_compute_can_merge")
    note = fields.Text(help="Recorded with the resolution.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        exception = self.env["q2c.exception"].browse(values.get("exception_id"))
        if exception.exists():
            candidates = exception.candidate_partner_ids
            record = (
                exception.env[exception.res_model].browse(exception.res_id)
                if exception.res_model == "res.partner" and exception.res_id
                else candidates[:1]
            )
            values.setdefault("partner_id", record.id or False)
            values.setdefault("merge_partner_ids", [(6, 0, (candidates - record).ids)])
        return values

    @api.depends("candidate_partner_ids")
    def _compute_can_merge(self):
        allowed = self.env.user.has_group(MERGE_GROUP)
        for wizard in self:
            wizard.can_merge = allowed and len(wizard.candidate_partner_ids) > 1

    def action_confirm(self):
        """Apply the choice, resolve the exception with it, replay the event."""
        self.ensure_one()
        exception = self.exception_id
        exception._check_can_resolve()
        if exception.state != "open":
            raise UserError(_("This exception is already resolved."))
        if not (exception.external_object_type and exception.external_object_id):
            raise UserError(
                _(
                    "This exception does not say which record of %(system)s it is about: "
                    "settle it by hand and mark it resolved.",
                    system=exception.system_id.name,
                )
            )
        if self.choice == "merge":
            self._merge()
        if self.choice in ("link", "merge"):
            self._link()
        what = self._describe()
        exception.write(
            {"decision": self.choice, "resolution": "\n".join(filter(None, [what, self.note]))}
        )
        exception.action_resolve()
        event = exception.event_id
        if event and event.state in REPLAYABLE_STATES:
            event.action_replay(reason=what)
        return {"type": "ir.actions.act_window_close"}

    def _link(self):
        """Bind the other system's record to the chosen customer (what provisioning finds
        on replay)."""
        if not self.partner_id:
            raise UserError(_("Choose the existing customer."))
        exception = self.exception_id
        try:
            self.env["q2c.external.ref"].sudo()._bind(
                exception.system_id,
                exception.external_object_type,
                exception.external_object_id,
                self.partner_id,
            )
        except Q2cError as error:
            raise UserError(error.reason) from error

    def _merge(self):
        """Merge the chosen customers into the one kept, with Odoo's merge-contacts wizard
        (its checks included), as the person: merging needs Contact Creation rights."""
        if not self.env.user.has_group(MERGE_GROUP):
            raise AccessError(_("Merging customers needs the Contact Creation right."))
        if not (self.partner_id and self.merge_partner_ids - self.partner_id):
            raise UserError(_("Choose the customer to keep and at least one to merge into it."))
        partners = self.partner_id | self.merge_partner_ids
        self.env["base.partner.merge.automatic.wizard"]._merge(partners.ids, self.partner_id)

    def _describe(self):
        exception = self.exception_id
        if self.choice == "new":
            return _(
                "Possible duplicate decided by %(user)s: a new customer is created for "
                "%(type)s %(id)s.",
                user=self.env.user.name,
                type=exception.external_object_type,
                id=exception.external_object_id,
            )
        return _(
            "Possible duplicate decided by %(user)s: %(type)s %(id)s is %(partner)s%(merged)s.",
            user=self.env.user.name,
            type=exception.external_object_type,
            id=exception.external_object_id,
            partner=self.partner_id.display_name,
            merged=_(" (merged)") if self.choice == "merge" else "",
        )
