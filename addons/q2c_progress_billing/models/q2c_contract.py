from odoo import _, api, fields, models


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    pay_application_ids = fields.One2many(
        "q2c.pay.application", "contract_id", string="Pay Applications"
    )
    pay_application_count = fields.Integer(compute="_compute_pay_history")
    progress_billed = fields.Monetary(
        string="Billed to Date",
        compute="_compute_pay_history",
        help="Work completed and stored to date on the last certified pay application.",
    )
    progress_retainage_held = fields.Monetary(
        string="Retainage Held",
        compute="_compute_pay_history",
        help="Retainage held on the last certified pay application.",
    )
    progress_balance_to_finish = fields.Monetary(
        string="Balance to Finish",
        compute="_compute_pay_history",
        help="Contract sum to date less work completed and stored to date.",
    )

    @api.depends("pay_application_ids.state", "current_value")
    def _compute_pay_history(self):
        for contract in self:
            apps = contract.pay_application_ids
            last = apps.filtered(lambda a: a.state in ("certified", "invoiced")).sorted(
                "period_end"
            )[-1:]
            contract.pay_application_count = len(apps)
            contract.progress_billed = last.certified_completed
            contract.progress_retainage_held = last.certified_retainage
            contract.progress_balance_to_finish = contract.currency_id.round(
                contract.current_value - last.certified_completed
            )

    def _retainage_receivable_balance(self):
        """Retainage receivable of this contract in the accounting: the posted journal items
        on the company's retainage account of the contract's invoices (2.4)."""
        self.ensure_one()
        account = self.company_id.q2c_retainage_account_id
        if not account:
            return 0.0
        items = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("move_id.q2c_contract_id", "=", self.id),
                ("parent_state", "=", "posted"),
            ]
        )
        return self.currency_id.round(sum(items.mapped("amount_currency")))

    def action_view_pay_applications(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "q2c_progress_billing.action_q2c_pay_application"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        action["name"] = _("Pay Applications of %s", self.display_name)
        return action
