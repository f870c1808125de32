import json

from psycopg2 import IntegrityError

from odoo import _, api, fields, models
from odoo.addons.q2c_base.models.q2c_event import PAYLOAD_GROUPS

from ..ingest import raise_if_concurrent

HOLD_STATES = [("held", "Held"), ("released", "Released")]


class Q2cSyncHold(models.Model):
    """An entry that could not be imported yet (an unmapped employee, project, category...):
    kept with its reason, never dropped. The next delivery of the entry, once the mapping
    exists, imports it and releases the hold. `kind` tells the ingesting models apart (their
    external ids may overlap within one system): each ingesting addon adds its own with
    `selection_add` and names it in its model's `_q2c_hold_kind` (q2c.ingested.mixin)."""

    _name = "q2c.sync.hold"
    _description = "Held Entry"
    _inherit = ["q2c.guarded.mixin"]
    _order = "id desc"
    _rec_name = "external_id"

    system_id = fields.Many2one("q2c.system", required=True, ondelete="cascade", index=True)
    kind = fields.Selection([], required=True)
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    external_id = fields.Char("External ID", required=True)
    reason = fields.Char(required=True)
    payload = fields.Text(
        "Entry as Received", help="The normalised entry as received.", groups=PAYLOAD_GROUPS
    )
    state = fields.Selection(
        HOLD_STATES, string="Status", default="held", required=True, index=True
    )
    exception_id = fields.Many2one("q2c.exception", ondelete="set null")

    _sql_constraints = [
        (
            "entry_uniq",
            "unique(system_id, kind, external_id)",
            "An entry of a system is held once.",
        ),
    ]

    def _q2c_guarded_fields(self):
        """Ingestion holds and releases entries (as superuser); the entry as received and
        its state are never edited by hand. Not immutable: a later delivery of a still held
        entry replaces what is held."""
        return super()._q2c_guarded_fields() | {
            "system_id",
            "kind",
            "external_id",
            "reason",
            "payload",
            "state",
        }

    @api.depends("kind", "external_id", "system_id.name")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for hold in self:
            hold.display_name = _(
                "%(kind)s %(external_id)s from %(system)s",
                kind=kinds.get(hold.kind, hold.kind),
                external_id=hold.external_id,
                system=hold.system_id.name,
            )

    @api.model
    def _hold(self, system, holds, kind, details=None):
        """Hold `holds` ((entry, reason) pairs) of `kind`: one upsert each, and one open
        exception per distinct reason of the system (not one per entry), whose `details`
        tell a person what to do (default: map the reference)."""
        if not holds:
            return self.browse()
        reasons = {reason for _entry, reason in holds}
        exceptions = self._hold_exceptions(system, reasons, details)
        existing = {
            hold.external_id: hold
            for hold in self.sudo().search(
                [
                    ("system_id", "=", system.id),
                    ("kind", "=", kind),
                    ("external_id", "in", [entry["external_id"] for entry, _r in holds]),
                ]
            )
        }
        new_vals = []
        for entry, reason in holds:
            vals = {
                "reason": reason,
                "state": "held",
                "exception_id": exceptions[reason],
                "payload": json.dumps(entry, default=str),
            }
            hold = existing.get(entry["external_id"])
            if not hold:
                new_vals.append(
                    {
                        **vals,
                        "system_id": system.id,
                        "kind": kind,
                        "external_id": entry["external_id"],
                    }
                )
            elif (hold.reason, hold.state) != (reason, "held"):
                hold.write(vals)
        try:
            with self.env.cr.savepoint():
                return self.sudo().create(new_vals)
        except IntegrityError as error:
            # The same entry held by a concurrent transaction: replayed, it finds the hold.
            raise_if_concurrent(error, f"{self._table}_entry_uniq")
            raise

    @api.model
    def _hold_exceptions(self, system, reasons, details=None):
        """{reason: id of the open exception of `system` for it}, raised when missing."""
        Exception_ = self.env["q2c.exception"].sudo()
        exceptions = {}
        for reason in reasons:
            name = _("%(system)s: %(reason)s", system=system.name, reason=reason)
            exception = Exception_.search(
                [("system_id", "=", system.id), ("name", "=", name), ("state", "=", "open")],
                limit=1,
            )
            if not exception:
                exception = Exception_._raise(
                    name,
                    kind="missing_data",
                    system=system,
                    details=details
                    or _(
                        "Entries of this system are held until the reference is mapped "
                        "(External References), then imported on their next delivery or pull."
                    ),
                )
            exceptions[reason] = exception.id
        return exceptions

    @api.model
    def _release(self, system, external_ids, kind):
        """Entries now imported: their holds are released (one query)."""
        if not external_ids:
            return
        holds = self.sudo().search(
            [
                ("system_id", "=", system.id),
                ("kind", "=", kind),
                ("external_id", "in", external_ids),
                ("state", "=", "held"),
            ]
        )
        exceptions = holds.exception_id
        holds.write({"state": "released"})
        # An exception whose held entries are all imported now needs nobody any more.
        still_held = (
            self.sudo()
            .search([("exception_id", "in", exceptions.ids), ("state", "=", "held")])
            .exception_id
        )
        (exceptions - still_held)._resolve_by_system(
            _("Resolved: every entry held for this reason has been imported since.")
        )
