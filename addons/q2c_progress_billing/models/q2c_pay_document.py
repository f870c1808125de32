"""Documents a contract requires with every pay application before it is submitted
(issue 15: an optional gate per contract, e.g. the conditional lien waivers for the period)."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class Q2cPayDocumentType(models.Model):
    """A kind of document a pay application carries: conditional lien waiver for the period,
    certified payroll, certificate of insurance... One list for every company."""

    _name = "q2c.pay.document.type"
    _description = "Pay Application Document Type"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(
        translate=True, help="What the document is, as the project manager reads it."
    )
    active = fields.Boolean(default=True)


class Q2cPayApplicationDocument(models.Model):
    """One required document of one pay application, with its file: the application's rows
    come from its contract's required document types; the project manager attaches the
    files while the application is a draft."""

    _name = "q2c.pay.application.document"
    _description = "Pay Application Required Document"
    _inherit = ["q2c.guarded.mixin"]
    _order = "application_id, sequence, id"
    _check_company_auto = True

    application_id = fields.Many2one(
        "q2c.pay.application", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="application_id.company_id", store=True)
    state = fields.Selection(related="application_id.state")
    type_id = fields.Many2one(
        "q2c.pay.document.type", string="Document", required=True, ondelete="restrict"
    )
    sequence = fields.Integer(related="type_id.sequence", store=True)
    description = fields.Text(related="type_id.description")
    attachment = fields.Binary(string="File", attachment=True, copy=False)
    attachment_name = fields.Char(string="File Name", copy=False)
    attached = fields.Boolean(compute="_compute_attached")

    _sql_constraints = [
        (
            "type_uniq",
            "unique(application_id, type_id)",
            "A required document appears once in a pay application.",
        ),
    ]

    def _q2c_guarded_fields(self):
        return super()._q2c_guarded_fields() | {"application_id", "type_id"}

    @api.depends("attachment")
    def _compute_attached(self):
        for document in self:
            document.attached = bool(document.attachment)

    @api.model_create_multi
    def create(self, vals_list):
        if not (self.env.su or self._q2c_released()):
            raise UserError(_("A pay application's required documents come from its contract."))
        return super().create(vals_list)

    def write(self, vals):
        if not self._q2c_released():
            for document in self:
                if document.application_id.state != "draft":
                    raise UserError(
                        _(
                            "%(app)s is %(state)s: its documents were checked when it was "
                            "submitted and are kept as they are.",
                            app=document.application_id.display_name,
                            state=document.application_id._state_label(),
                        )
                    )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        for document in self:
            if document.application_id.state != "draft":
                raise UserError(
                    _(
                        "%(app)s is %(state)s: its documents are kept.",
                        app=document.application_id.display_name,
                        state=document.application_id._state_label(),
                    )
                )
