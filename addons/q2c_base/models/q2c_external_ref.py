from odoo import _, api, fields, models

from ..exceptions import PermanentError, TransientError


class Q2cExternalRef(models.Model):
    """(system, object type, external id) -> Odoo record, unique per system."""

    _name = "q2c.external.ref"
    _description = "External Reference"
    _order = "system_id, object_type, external_id"
    _rec_name = "external_id"
    _check_company_auto = True

    system_id = fields.Many2one("q2c.system", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="system_id.company_id", store=True)
    object_type = fields.Char(required=True, help="The other system's object type, e.g. Account.")
    external_id = fields.Char("External ID", required=True)
    res_model = fields.Char("Model", required=True, index=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", required=True)

    _sql_constraints = [
        (
            "external_uniq",
            "unique(system_id, object_type, external_id)",
            "This external id is already bound to a record for this system.",
        ),
        (
            "record_uniq",
            "unique(system_id, object_type, res_model, res_id)",
            "This record is already bound to another external id of this system.",
        ),
    ]

    @api.depends("system_id.name", "object_type", "external_id")
    def _compute_display_name(self):
        for ref in self:
            ref.display_name = _(
                "%(object_type)s %(external_id)s of %(system)s",
                object_type=ref.object_type,
                external_id=ref.external_id,
                system=ref.system_id.name,
            )

    @api.model
    def _find(self, system, object_type, external_id):
        """The record bound to an external id, or None."""
        ref = self.sudo().search(
            [
                ("system_id", "=", system.id),
                ("object_type", "=", object_type),
                ("external_id", "=", str(external_id)),
            ],
            limit=1,
        )
        if not ref:
            return None
        return self.env[ref.res_model].browse(ref.res_id).exists() or None

    @api.model
    def _resolve_many(self, system, wanted):
        """{(object type, external id): record id} for many references at once, in one query.

        `wanted` maps (object type, model) to the external ids looked for; a reference bound
        to another model than the one asked for is no answer. Batch ingestion reads its
        mappings with it (technical data: reading them is no business access)."""
        wanted = {key: ids for key, ids in wanted.items() if ids}
        if not wanted:
            return {}
        domain = ["|"] * (len(wanted) - 1)
        for (object_type, model), ids in wanted.items():
            domain += [
                "&",
                "&",
                ("object_type", "=", object_type),
                ("res_model", "=", model),
                ("external_id", "in", [str(ext) for ext in ids]),
            ]
        refs = self.sudo().search_read(
            [("system_id", "=", system.id), *domain], ["object_type", "external_id", "res_id"]
        )
        return {(ref["object_type"], ref["external_id"]): ref["res_id"] for ref in refs}

    @api.model
    def _find_external_id(self, system, object_type, record):
        ref = self.sudo().search(
            [
                ("system_id", "=", system.id),
                ("object_type", "=", object_type),
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
            ],
            limit=1,
        )
        return ref.external_id or None

    @api.model
    def _bind(self, system, object_type, external_id, record):
        """Bind an external id to a record; idempotent, race-safe (the unique index decides).

        `external_id` is compared as text. Raises PermanentError when the id is already bound
        to another record, or the record to another id of the same object type (one record,
        one id per system and type); TransientError when a race against another worker was
        lost, so the job retries and finds the winner.
        """
        record.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO q2c_external_ref (system_id, company_id, object_type, external_id,
                res_model, res_id, create_uid, create_date, write_uid, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, now() at time zone 'utc', %s,
                    now() at time zone 'utc')
            ON CONFLICT DO NOTHING RETURNING id
            """,
            (
                system.id,
                system.company_id.id,
                object_type,
                str(external_id),
                record._name,
                record.id,
                self.env.uid,
                self.env.uid,
            ),
        )
        if self.env.cr.fetchone():
            return True
        bound = self._find(system, object_type, external_id)
        if bound == record:
            return True
        if bound is None:
            other = self.sudo().search(
                [
                    ("system_id", "=", system.id),
                    ("object_type", "=", object_type),
                    ("res_model", "=", record._name),
                    ("res_id", "=", record.id),
                ],
                limit=1,
            )
            if other:
                raise PermanentError(
                    _(
                        "%(record)s is already bound to %(type)s %(other)s of %(system)s; "
                        "it cannot also be %(id)s.",
                        record=record.display_name,
                        type=object_type,
                        other=other.external_id,
                        system=system.name,
                        id=external_id,
                    )
                )
            raise TransientError(_("Concurrent binding of %s; retrying.", external_id))
        raise PermanentError(
            _(
                "%(type)s %(id)s of %(system)s is already bound to %(record)s.",
                type=object_type,
                id=external_id,
                system=system.name,
                record=bound.display_name,
            )
        )

    @api.model
    def _ensure(self, system, object_type, external_id, create):
        """The record bound to an external id, created with `create()` and bound if none."""
        record = self._find(system, object_type, external_id)
        if record is None:
            record = create()
            self._bind(system, object_type, external_id, record)
        return record
