from odoo import _, api, fields, models
from odoo.exceptions import UserError

KINDS = [
    ("value", "Contract value"),
    ("nte", "Not-to-exceed cap"),
    ("budget_revenue", "Revenue budget"),
    ("budget_cost", "Cost budget"),
]


class Q2cContractChangeEntry(models.Model):
    """Append-only ledger of what moved a signed contract: its value, its cap, a schedule-of-
    values line, a project budget.

    Values on the contract, its SOV lines and its projects are sums over these entries, so an
    approved change counts once by construction, and undoing it is a reversing entry, never an
    edit (billing-domain.md 3.4 and 3.5). Change orders write them; nobody edits them.
    """

    _name = "q2c.contract.change.entry"
    _description = "Contract Change Entry"
    _order = "date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="restrict", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        help="The contract's currency; for a budget entry, the project's.",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    name = fields.Char(string="Label", required=True)
    kind = fields.Selection(KINDS, required=True)
    amount = fields.Monetary(required=True)
    amount_before = fields.Monetary(string="Before", help="The changed total before this entry.")
    amount_after = fields.Monetary(string="After", help="The changed total after this entry.")
    sov_line_id = fields.Many2one(
        "q2c.contract.sov.line", string="SOV Line", ondelete="restrict", check_company=True
    )
    project_id = fields.Many2one("project.project", ondelete="restrict", check_company=True)
    reversed_entry_id = fields.Many2one(
        "q2c.contract.change.entry", string="Reverses", ondelete="restrict", readonly=True
    )
    is_reversal = fields.Boolean(string="Reversal", readonly=True)
    change_label = fields.Char(
        string="Change",
        compute="_compute_change_label",
        help="What the entry changed: the contract value, a schedule-of-values line, a new "
        "milestone, the cap or a budget.",
    )

    @api.depends("kind", "sov_line_id", "is_reversal")
    def _compute_change_label(self):
        for entry in self:
            label = entry._change_label()
            entry.change_label = _("Reversal: %s", label) if entry.is_reversal else label

    def _change_label(self):
        """The kind of change as a person reads it; a value entry on a schedule-of-values
        line moves the contract value through that line. Overridden where the entry's
        origin says more (a change order's new line or milestone)."""
        self.ensure_one()
        if self.kind == "value" and self.sov_line_id:
            return _("Schedule-of-values line")
        return dict(self._fields["kind"]._description_selection(self.env)).get(self.kind, "")

    @api.model_create_multi
    def create(self, vals_list):
        entries = super().create(vals_list)
        entries.sov_line_id._check_not_below_billed()
        return entries

    def write(self, vals):
        if self:
            raise UserError(_("Contract change entries are never edited; post a reversing entry."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("Contract change entries are never deleted; post a reversing entry."))

    def _reverse_values(self, label):
        """Values of the entries that undo `self`, one each."""
        return [
            {
                "contract_id": entry.contract_id.id,
                "currency_id": entry.currency_id.id,
                "name": label,
                "kind": entry.kind,
                "amount": -entry.amount,
                "sov_line_id": entry.sov_line_id.id,
                "project_id": entry.project_id.id,
                "reversed_entry_id": entry.id,
                "is_reversal": True,
            }
            for entry in self
        ]
