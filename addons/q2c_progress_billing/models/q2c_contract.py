from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

THRESHOLD_MEASURES = [
    ("completed_and_stored", "Work completed and materials stored"),
    ("completed_only", "Work completed only"),
]


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    pay_application_ids = fields.One2many(
        "q2c.pay.application", "contract_id", string="Pay Applications"
    )
    # Retainage (billing-domain.md 2.4) beyond q2c_contract's rate, threshold and modes.
    retainage_stored_separate = fields.Boolean(
        string="Own Rate on Stored Material",
        tracking=True,
        help="Retain another rate on materials stored (G702 line 5b) than on completed work "
        "(line 5a); otherwise the same rate applies to both.",
    )
    retainage_stored_percent = fields.Float(
        string="Retainage on Stored Material (%)", digits=(5, 4), tracking=True
    )
    retainage_reduced_stored_percent = fields.Float(
        string="Reduced Retainage on Stored Material (%)",
        digits=(5, 4),
        help="The rate on stored material once the reduction threshold is reached.",
    )
    retainage_threshold_measure = fields.Selection(
        THRESHOLD_MEASURES,
        string="Threshold Measured On",
        required=True,
        default="completed_and_stored",
        help="What is compared with the contract sum to decide whether the reduction "
        "threshold is reached: work completed and materials stored (G702 line 4), or work "
        "completed only (columns D + E).",
    )
    retainage_reduction_mode = fields.Selection(
        selection_add=[("cap", "Cap the retainage at the rate on the threshold's share")],
        ondelete={"cap": "set default"},
        help="Recompute: the whole base at the reduced rate from the application that reaches "
        "the threshold. Freeze: no further retainage and no release until completion. Cap: "
        "the rate stays; the retainage held never exceeds rate x threshold x contract sum "
        "(e.g. 10% x 50% x contract sum).",
    )
    pay_required_document_type_ids = fields.Many2many(
        "q2c.pay.document.type",
        string="Documents Required to Submit",
        help="Documents attached to every pay application of this contract before it can be "
        "submitted, e.g. the conditional lien waivers for the period.",
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
        help="Line 9 of the last certified pay application: its contract sum to date "
        "(change orders and directives included) less its certified total earned less "
        "retainage; the contract's current value before the first certified application.",
    )

    @api.constrains(
        "retainage_stored_percent", "retainage_reduced_stored_percent", "retainage_stored_separate"
    )
    def _check_retainage_stored(self):
        for contract in self.filtered("retainage_stored_separate"):
            rates = (contract.retainage_stored_percent, contract.retainage_reduced_stored_percent)
            for rate in rates:
                if not 0.0 <= rate <= 100.0:
                    raise ValidationError(
                        _(
                            "The retainage on stored material of contract %(contract)s must be "
                            "between 0%% and 100%% (got %(value)s%%).",
                            contract=contract.display_name,
                            value=rate,
                        )
                    )
            if (
                contract.retainage_threshold_percent
                and contract.retainage_reduction_mode == "recompute"
                and contract.retainage_reduced_stored_percent > contract.retainage_stored_percent
            ):
                raise ValidationError(
                    _(
                        "Contract %(contract)s: the reduced retainage on stored material "
                        "(%(reduced)s%%) is higher than the retainage on stored material "
                        "(%(rate)s%%).",
                        contract=contract.display_name,
                        reduced=contract.retainage_reduced_stored_percent,
                        rate=contract.retainage_stored_percent,
                    )
                )

    def _retainage_rates(self, reached):
        """(rate on work, rate on stored material), in percent, of an application that has
        (`reached`) or has not reached the reduction threshold (billing-domain.md 2.4): the
        reduced rates in mode `recompute`, the full rates otherwise (`freeze` keeps the
        retainage held, `cap` limits it)."""
        self.ensure_one()
        reduced = reached and self.retainage_reduction_mode == "recompute"
        work = self.retainage_reduced_percent if reduced else self.retainage_percent
        if not self.retainage_stored_separate:
            return work, work
        if reduced:
            return work, self.retainage_reduced_stored_percent
        return work, self.retainage_stored_percent

    @api.depends(
        "pay_application_ids.state",
        "pay_application_ids.certified_balance_to_finish",
        "current_value",
    )
    def _compute_pay_history(self):
        for contract in self:
            apps = contract.pay_application_ids
            last = apps.filtered(lambda a: a.state in ("certified", "invoiced")).sorted(
                "period_end"
            )[-1:]
            contract.pay_application_count = len(apps)
            contract.progress_billed = last.certified_completed
            contract.progress_retainage_held = last.certified_retainage
            # G702 line 9 (billing-domain.md 2.3: L3 - L6), certified: the contract sum to
            # date of the application includes the directives that current_value leaves out.
            contract.progress_balance_to_finish = (
                last.certified_balance_to_finish if last else contract.current_value
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
