from odoo import api, fields, models


class ProjectProject(models.Model):
    _inherit = "project.project"

    q2c_contract_ids = fields.Many2many(
        "q2c.contract",
        "q2c_contract_project_rel",
        "project_id",
        "contract_id",
        string="Contracts",
        readonly=True,
    )
    # Odoo Community has no project budget (billing-domain.md 4.1): the original budget is
    # entered here and approved change orders add budget modifications as change entries.
    q2c_revenue_budget = fields.Monetary(string="Revenue Budget (original)")
    q2c_cost_budget = fields.Monetary(string="Cost Budget (original)")
    q2c_change_entry_ids = fields.One2many(
        "q2c.contract.change.entry", "project_id", string="Budget Modifications", readonly=True
    )
    q2c_revenue_budget_revised = fields.Monetary(
        string="Revenue Budget", compute="_compute_q2c_budget", store=True
    )
    q2c_cost_budget_revised = fields.Monetary(
        string="Cost Budget", compute="_compute_q2c_budget", store=True
    )
    q2c_budget_margin = fields.Monetary(
        string="Budget Margin", compute="_compute_q2c_budget", store=True
    )

    @api.depends(
        "q2c_revenue_budget",
        "q2c_cost_budget",
        "q2c_change_entry_ids.amount",
        "q2c_change_entry_ids.kind",
    )
    def _compute_q2c_budget(self):
        for project in self:
            entries = project.q2c_change_entry_ids
            revenue = sum(entries.filtered(lambda e: e.kind == "budget_revenue").mapped("amount"))
            cost = sum(entries.filtered(lambda e: e.kind == "budget_cost").mapped("amount"))
            currency = project.currency_id
            project.q2c_revenue_budget_revised = currency.round(
                project.q2c_revenue_budget + revenue
            )
            project.q2c_cost_budget_revised = currency.round(project.q2c_cost_budget + cost)
            project.q2c_budget_margin = currency.round(
                project.q2c_revenue_budget_revised - project.q2c_cost_budget_revised
            )
