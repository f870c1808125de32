from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class Q2cRateOverride(models.Model):
    _name = "q2c.rate.override"
    _inherit = ["q2c.rate.mixin"]
    _description = "Rate Override"
    _order = "contract_id, project_id, employee_id, role_id, date_from"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    project_id = fields.Many2one(
        "project.project",
        string="Project",
        check_company=True,
        help="Empty: the override applies to every project of the contract.",
    )

    @api.depends("contract_id", "employee_id", "role_id", "rate", "date_from")
    def _compute_display_name(self):
        for override in self:
            override.display_name = _(
                "%(contract)s: %(key)s at %(rate)s from %(date)s",
                contract=override.contract_id.code or override.contract_id.name or "",
                key=override._rate_key_label(),
                rate=override.contract_id._fmt(override.rate),
                date=override.date_from or "",
            )

    def _key_domain(self):
        return [
            *super()._key_domain(),
            ("contract_id", "=", self.contract_id.id),
            ("project_id", "=", self.project_id.id),
        ]

    def _overlap_owner_label(self):
        self.ensure_one()
        if self.project_id:
            return _("the overrides of project %s", self.project_id.display_name)
        return _("the overrides of contract %s", self.contract_id.display_name)

    @api.constrains("project_id", "contract_id")
    def _check_project(self):
        for override in self:
            if override.project_id and override.project_id not in override.contract_id.project_ids:
                raise ValidationError(
                    _(
                        "Project %(project)s is not a project of contract %(contract)s.",
                        project=override.project_id.display_name,
                        contract=override.contract_id.display_name,
                    )
                )
        self._check_overlap()
