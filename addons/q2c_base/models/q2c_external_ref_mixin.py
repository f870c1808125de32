from collections import defaultdict

from odoo import api, fields, models


class Q2cExternalRefMixin(models.AbstractModel):
    """Shows, on any business record, the ids other systems know it by."""

    _name = "q2c.external.ref.mixin"
    _description = "Record with External References"

    q2c_external_ref_ids = fields.One2many(
        "q2c.external.ref",
        compute="_compute_q2c_external_ref_ids",
        string="External References",
        groups="q2c_base.group_integration_manager,q2c_base.group_auditor",
        help="The ids other systems know this record by (see Integrations).",
    )

    @api.depends_context("uid")
    def _compute_q2c_external_ref_ids(self):
        refs = self.env["q2c.external.ref"].search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)]
        )
        by_record = defaultdict(lambda: self.env["q2c.external.ref"])
        for ref in refs:
            by_record[ref.res_id] |= ref
        for record in self:
            record.q2c_external_ref_ids = by_record[record.id]
