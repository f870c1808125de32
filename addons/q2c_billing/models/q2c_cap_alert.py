from odoo import _, api, fields, models


class Q2cCapAlert(models.Model):
    """A not-to-exceed threshold reached by billing, recorded once: the unique constraint on
    (contract, cap, threshold) decides, so a re-run, a retried job or two runs at the same
    time alert Finance once per threshold. A raised cap is a new cap: its thresholds alert
    again when billing reaches them."""

    _name = "q2c.cap.alert"
    _description = "Not-to-exceed Threshold Alert"
    _order = "id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    threshold = fields.Integer(string="Threshold (%)", required=True, readonly=True)
    cap_amount = fields.Monetary(string="Cap", required=True, readonly=True)
    billed_amount = fields.Monetary(
        string="Billed under Cap", readonly=True, help="Billed to date when it was reached."
    )
    run_line_id = fields.Many2one(
        "q2c.billing.run.line", string="Billing Run Result", readonly=True, ondelete="set null"
    )
    run_id = fields.Many2one(related="run_line_id.run_id", string="Billing Run")
    activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    _sql_constraints = [
        (
            "contract_cap_threshold_uniq",
            "unique(contract_id, cap_amount, threshold)",
            "A cap threshold alerts once.",
        ),
    ]

    @api.depends("contract_id.display_name", "threshold")
    def _compute_display_name(self):
        for alert in self:
            alert.display_name = _(
                "%(contract)s: %(threshold)s%% of the cap",
                contract=alert.contract_id.display_name,
                threshold=alert.threshold,
            )
