from decimal import ROUND_HALF_UP, Decimal

from odoo import _, api, fields, models
from odoo.addons.q2c_contract.money import percent_of, round_half_up
from odoo.exceptions import ValidationError

NTE_MODES = [
    ("adjustment", "Adjustment line (bill in full, withhold the excess)"),
    ("truncate", "Truncate (bill entries up to the cap)"),
]
NTE_SCOPES = [("fees", "Fees only"), ("fees_and_expenses", "Fees and expenses")]
CONTRACT_CORRECTION_POLICIES = [
    ("company", "As the company settings say"),
    ("next_invoice", "On the next invoice"),
    ("credit_note", "By a credit note"),
]
ALERT_MESSAGES = {
    "summary": "Not-to-exceed cap: %(thresholds)s reached",
    "note": "Contract %(contract)s has billed %(billed)s of its not-to-exceed cap of %(cap)s "
    "(%(share)s%%) with billing run %(run)s: threshold(s) %(thresholds)s reached.",
    "thresholds": "Cap alert thresholds are whole percents between 1 and 100, separated by "
    "commas (e.g. 75,90,100).",
}


class Q2cContract(models.Model):
    _inherit = "q2c.contract"

    nte_mode = fields.Selection(
        NTE_MODES,
        string="Cap Mode",
        required=True,
        default="adjustment",
        tracking=True,
        help="Adjustment: every line is billed in full and a negative line withholds what goes "
        "over the cap. Truncate: entries are billed in date order up to the cap, the entry "
        "that crosses it split, the rest held.",
    )
    nte_scope = fields.Selection(
        NTE_SCOPES, string="Cap Scope", required=True, default="fees", tracking=True
    )
    nte_alert_thresholds = fields.Char(
        string="Cap Alerts (%)",
        default="75,90,100",
        help="Finance gets an activity on the contract once per threshold, when billing under "
        "the cap reaches that share of it.",
    )
    correction_policy = fields.Selection(
        CONTRACT_CORRECTION_POLICIES,
        string="Corrections after Billing",
        required=True,
        default="company",
        tracking=True,
        help="Where reversals and replacements of billed time and expenses settle "
        "(billing-domain.md 1.9): on the next invoice, naming the invoice they correct, or "
        "by a credit note for their net on that invoice. A period whose net is a credit "
        "gets a credit note either way.",
    )
    nte_hold_ids = fields.One2many("q2c.cap.hold", "contract_id", string="Held Ledger")
    nte_held_amount = fields.Monetary(
        string="Held over Cap",
        compute="_compute_nte_held_amount",
        help="Billed work withheld by the cap, released when the cap is raised.",
    )
    nte_alert_ids = fields.One2many("q2c.cap.alert", "contract_id", string="Cap Alerts")

    @api.depends("nte_hold_ids.amount", "nte_hold_ids.release_ids")
    def _compute_nte_held_amount(self):
        Hold = self.env["q2c.cap.hold"]
        for contract in self:
            if not contract.id:
                contract.nte_held_amount = 0.0
                continue
            holds = Hold._open_holds(contract)
            contract.nte_held_amount = contract.currency_id.round(
                sum(hold._live_remaining() for hold in holds)
            )

    @api.constrains("nte_alert_thresholds")
    def _check_nte_alert_thresholds(self):
        for contract in self:
            contract._nte_thresholds()

    def _nte_thresholds(self):
        """The alert thresholds, ascending, as whole percents."""
        self.ensure_one()
        try:
            values = sorted(
                {
                    int(part)
                    for part in (self.nte_alert_thresholds or "").split(",")
                    if part.strip()
                }
            )
        except ValueError as error:
            raise ValidationError(_(ALERT_MESSAGES["thresholds"])) from error
        if any(not 0 < value <= 100 for value in values):
            raise ValidationError(_(ALERT_MESSAGES["thresholds"]))
        return values

    def _invoice_sales_journal(self, company):
        """The company's first sales journal, where q2c's invoices of this contract go."""
        Journal = self.env["account.journal"]
        return Journal.search(
            [("type", "=", "sale"), *Journal._check_company_domain(company)], limit=1
        )

    def _invoice_analytic_distribution(self):
        """The contract's analytic account at 100%, for each invoice line (False without)."""
        self.ensure_one()
        account = self.analytic_account_id
        return {str(account.id): 100.0} if account else False

    def _invoice_header(self, company, journal):
        """The values every q2c customer invoice of this contract starts from: its customer,
        currency and contract, the customer's payment terms and fiscal position in
        `company`, the sales journal. Callers add dates, origin and lines."""
        self.ensure_one()
        partner = self.partner_id.with_company(company)
        fiscal_position = (
            self.env["account.fiscal.position"].with_company(company)._get_fiscal_position(partner)
        )
        return {
            "move_type": "out_invoice",
            "company_id": company.id,
            "journal_id": journal.id,
            "partner_id": partner.id,
            "currency_id": self.currency_id.id,
            "invoice_payment_term_id": partner.property_payment_term_id.id,
            "fiscal_position_id": fiscal_position.id,
            "q2c_contract_id": self.id,
        }

    def _correction_policy(self):
        """The policy that applies: the contract's own, else its company's."""
        self.ensure_one()
        if self.correction_policy != "company":
            return self.correction_policy
        return self.company_id.q2c_correction_policy or "next_invoice"

    def _nte_capped(self):
        self.ensure_one()
        return not self.currency_id.is_zero(self.nte_amount)

    # ------------------------------------------------------------------ billed to date

    def _nte_billed(self, drafts=True):
        """Billed to date under the cap (billing-domain.md 1.2): the fee lines of posted
        invoices, adjustment and release lines included, less posted credit notes. With
        `drafts`, also the lines of draft invoices: a run bills against what earlier runs
        already put on drafts, so two drafts never share the same headroom."""
        self.ensure_one()
        states = ("draft", "posted") if drafts else ("posted",)
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("q2c_cap_contract_id", "=", self.id),
                    ("display_type", "=", "product"),
                    ("parent_state", "in", states),
                ]
            )
        )
        total = Decimal(0)
        for line in lines:
            move = line.move_id
            if move.move_type == "out_refund":
                if move.state == "posted":
                    total -= Decimal(repr(line.price_subtotal))
            elif move.move_type == "out_invoice":
                total += Decimal(repr(line.price_subtotal))
        return round_half_up(self.currency_id, total)

    def _nte_refresh_billed(self):
        """Write the posted billed-to-date on the contract (its headroom and over-cap flag
        follow); called when an invoice or credit note under the cap is posted or undone."""
        # sudo: whoever posts an invoice or a credit note (an accountant without contract
        # rights) keeps the contract's figure right.
        for contract in self.sudo():
            contract.nte_billed_amount = contract._nte_billed(drafts=False)

    # ------------------------------------------------------------------ alerts

    def _nte_alert(self, run_line):
        """Record the thresholds billing has reached on the current cap, once each, and
        give Finance (the user who prepared the run) one activity naming them."""
        self.ensure_one()
        if not self._nte_capped():
            return self.env["q2c.cap.alert"]
        currency = self.currency_id
        billed = self._nte_billed()
        Alert = self.env["q2c.cap.alert"].sudo()
        done = set(
            Alert.search(
                [("contract_id", "=", self.id), ("cap_amount", "=", self.nte_amount)]
            ).mapped("threshold")
        )
        reached = [
            threshold
            for threshold in self._nte_thresholds()
            if threshold not in done
            and currency.compare_amounts(billed, percent_of(currency, self.nte_amount, threshold))
            >= 0
        ]
        if not reached:
            return Alert
        labels = ", ".join(f"{threshold}%" for threshold in reached)
        share = Decimal(repr(billed)) * 100 / Decimal(repr(self.nte_amount))
        note = _(
            ALERT_MESSAGES["note"],
            contract=self.display_name,
            billed=self._fmt(billed),
            cap=self._fmt(self.nte_amount),
            share=f"{share.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}",
            run=run_line.run_id.name,
            thresholds=labels,
        )
        activity = self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_(ALERT_MESSAGES["summary"], thresholds=labels),
            note=note,
            user_id=self.env.user.id,
        )
        self.sudo()._message_log(body=note)
        return Alert.create(
            [
                {
                    "contract_id": self.id,
                    "threshold": threshold,
                    "cap_amount": self.nte_amount,
                    "billed_amount": billed,
                    "run_line_id": run_line.id,
                    "activity_id": activity.id,
                }
                for threshold in reached
            ]
        )
