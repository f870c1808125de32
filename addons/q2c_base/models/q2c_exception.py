from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

KINDS = [
    ("duplicate", "Possible duplicate"),
    ("ownership", "Field ownership conflict"),
    ("missing_data", "Missing data"),
    ("other", "Other"),
]
DECISIONS = [
    ("link", "Linked to an existing customer"),
    ("new", "A new customer created"),
    ("merge", "Customers merged"),
]
RESOLVE_GROUP = "q2c_base.group_integration_operator"


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
    event_error = fields.Text(related="event_id.error", string="Event Error")
    guidance = fields.Char("What To Do", compute="_compute_guidance")
    details = fields.Text()
    res_model = fields.Char("Model")
    res_id = fields.Many2oneReference("Record ID", model_field="res_model")
    resolution = fields.Text(tracking=True)
    # A possible duplicate: the customers it may be, and the other system's record the
    # person's choice is bound to.
    candidate_partner_ids = fields.Many2many(
        "res.partner", string="Possible Matches", readonly=True
    )
    external_object_type = fields.Char(readonly=True)
    external_object_id = fields.Char("External ID", readonly=True)
    external_display = fields.Char("Record There", compute="_compute_external_display")
    decision = fields.Selection(DECISIONS, readonly=True, tracking=True)

    @api.depends("system_id", "external_object_type", "external_object_id")
    def _compute_external_display(self):
        for exception in self:
            exception.external_display = exception.external_object_id and " ".join(
                filter(
                    None,
                    [
                        exception.system_id.name,
                        exception.external_object_type,
                        exception.external_object_id,
                    ],
                )
            )

    @api.depends("kind", "state")
    def _compute_guidance(self):
        texts = {
            "duplicate": _(
                "This may be a customer Odoo already has: link it to the existing customer, "
                "create a new one, or merge; the event replays itself after your choice."
            ),
            "ownership": _(
                "Two systems changed the same field: decide which value is right, then mark "
                "this resolved."
            ),
            "missing_data": _(
                "Complete the data in the other system, replay the event, then mark this "
                "resolved."
            ),
            "other": _("Settle the cause, replay the event if any, then mark this resolved."),
        }
        for exception in self:
            exception.guidance = (
                texts.get(exception.kind, "") if exception.state == "open" else False
            )

    @api.model
    def _raise(
        self,
        name,
        kind="other",
        system=None,
        event=None,
        details="",
        record=None,
        candidates=None,
        external=None,
    ):
        """Open an exception and give the integration managers a to-do about it.

        `candidates` (res.partner) and `external` ((object type, external id)): for a
        possible duplicate, what the person chooses from and what the choice is bound to."""
        object_type, external_id = external or (False, False)
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
                "candidate_partner_ids": [(6, 0, candidates.ids)] if candidates else False,
                "external_object_type": object_type,
                "external_object_id": external_id and str(external_id),
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

    @api.model
    def _decision_for(self, system, object_type, external_id):
        """The decision a person took on a possible duplicate of the other system's record
        (`link`, `new`, `merge`), or None. Called by provisioning on replay: after `new`,
        the record is created without asking again."""
        found = self.sudo().search(
            [
                ("system_id", "=", system.id),
                ("kind", "=", "duplicate"),
                ("state", "=", "resolved"),
                ("external_object_type", "=", object_type),
                ("external_object_id", "=", str(external_id)),
                ("decision", "!=", False),
            ],
            order="id desc",
            limit=1,
        )
        return found.decision or None

    def _check_can_resolve(self):
        if not self.env.user.has_group(RESOLVE_GROUP):
            raise AccessError(_("Only integration operators and managers resolve exceptions."))

    def action_resolve(self):
        self._check_can_resolve()
        self.check_access("write")
        for exception in self:
            exception.write({"state": "resolved"})
            exception.activity_ids.action_done()
            exception._message_log(body=_("Resolved by %s.", self.env.user.name))
        return True

    def _resolve_by_system(self, why):
        """Resolve exceptions that resolved themselves (every held entry behind one was
        imported since): called by the code that saw it, without a person's check."""
        for exception in self.sudo().filtered(lambda e: e.state == "open"):
            exception.write({"state": "resolved"})
            exception.activity_ids.action_done()
            exception._message_log(body=why)

    def action_open_duplicate_wizard(self):
        """The choice for a possible duplicate: link, create a new customer, or merge."""
        self.ensure_one()
        self._check_can_resolve()
        if self.kind != "duplicate" or self.state != "open":
            raise UserError(_("Only an open possible duplicate is decided this way."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Resolve Possible Duplicate"),
            "res_model": "q2c.duplicate.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_exception_id": self.id},
        }
