from odoo import api, fields, models


class Q2cEventLink(models.Model):
    _name = "q2c.event.link"
    _description = "Record Affected by an Inbound Event"
    _order = "id"

    event_id = fields.Many2one("q2c.event", required=True, ondelete="cascade", index=True)
    res_model = fields.Char("Model", required=True)
    res_id = fields.Many2oneReference("Record ID", model_field="res_model", required=True)
    record_ref = fields.Reference(
        selection="_selection_models", compute="_compute_record_ref", string="Record"
    )

    @api.model
    def _selection_models(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for link in self:
            link.record_ref = (
                f"{link.res_model},{link.res_id}"
                if link.res_model in self.env and link.res_id
                else False
            )
