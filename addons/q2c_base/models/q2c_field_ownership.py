from odoo import _, api, fields, models

from .q2c_system import SYSTEM_TYPES


class Q2cFieldOwnership(models.Model):
    """Which system owns which field: writes from any other system are refused."""

    _name = "q2c.field.ownership"
    _description = "Field Ownership"
    _order = "model_id, field_id"

    model_id = fields.Many2one("ir.model", required=True, ondelete="cascade")
    model = fields.Char("Model Name", related="model_id.model", store=True, index=True)
    field_id = fields.Many2one(
        "ir.model.fields",
        required=True,
        ondelete="cascade",
        domain="[('model_id', '=', model_id)]",
    )
    field_name = fields.Char(related="field_id.name", store=True)
    owner = fields.Selection(
        [("odoo", "Odoo"), *SYSTEM_TYPES],
        required=True,
        help="Odoo: no connected system may write the field. Otherwise only that system may.",
    )

    _sql_constraints = [
        ("field_uniq", "unique(field_id)", "A field has one owner."),
    ]

    @api.depends("field_id.field_description", "model_id.name")
    def _compute_display_name(self):
        for rule in self:
            rule.display_name = _(
                "%(field)s of %(model)s",
                field=rule.field_id.field_description,
                model=rule.model_id.name,
            )

    @api.model
    def _filter_write(self, system, model_name, vals, event=None):
        """Split `vals` into what `system` may write and the fields it may not; refusals
        are recorded on the event's chatter. Fields without a rule are open."""
        rules = self.sudo().search([("model", "=", model_name), ("field_name", "in", list(vals))])
        refused = [r.field_name for r in rules if r.owner != system.system_type]
        if refused and event:
            owners = {r.field_name: dict(r._fields["owner"].selection)[r.owner] for r in rules}
            event.sudo()._message_log(
                body=_(
                    "Refused to write %(fields)s of %(model)s: owned by %(owners)s.",
                    fields=", ".join(refused),
                    model=model_name,
                    owners=", ".join(sorted({owners[f] for f in refused})),
                )
            )
        allowed = {key: value for key, value in vals.items() if key not in refused}
        return allowed, refused
