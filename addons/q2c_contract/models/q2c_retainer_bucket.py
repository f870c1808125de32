from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..workflow import Transition, check_table

STATES = [("open", "Open"), ("expired", "Expired")]
# The funds' state machine: expiry closes them (rolled over or released as breakage).
TRANSITIONS = check_table(STATES, {"expire": Transition(("open",), "expired")})
# Funds that usage may draw from and that count in the retainer balance: the unexpired ones.
DRAWABLE_STATES = TRANSITIONS["expire"].sources
BUCKET_KINDS = [
    ("period", "Retainer period"),
    ("top_up", "Top-up"),
    ("rollover", "Rollover"),
    ("deposit", "Security deposit"),
    ("given_back", "Given back by a correction"),
]


class Q2cRetainerBucket(models.Model):
    """Prepaid funds of a retainer: one per invoiced period, top-up or rollover, or the one
    security deposit of an evergreen retainer (never drawn by usage, applied to the final
    invoice).

    Usage draws from the funds valid on the work date in the contract's consumption order
    (earliest expiry first by default); at expiry the rest rolls over (per the contract
    policy) or is released to revenue as breakage.
    """

    _name = "q2c.retainer.bucket"
    _description = "Retainer Funds"
    _inherit = ["q2c.guarded.mixin"]
    _order = "contract_id, valid_from, id"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "q2c.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id", store=True)
    name = fields.Char(required=True)
    kind = fields.Selection(BUCKET_KINDS, required=True, default="top_up")
    amount = fields.Monetary(required=True)
    valid_from = fields.Date(required=True)
    expiry = fields.Date(help="Last day the funds can be used. Empty: no expiry.")
    drawdown_ids = fields.One2many("q2c.retainer.drawdown", "bucket_id", readonly=True)
    consumed_amount = fields.Monetary(compute="_compute_balance", store=True)
    balance = fields.Monetary(compute="_compute_balance", store=True)
    state = fields.Selection(STATES, default="open")
    rolled_over_amount = fields.Monetary(readonly=True)
    breakage_amount = fields.Monetary(
        readonly=True, help="Released to revenue at expiry (by an entry, not an invoice)."
    )
    source_bucket_id = fields.Many2one("q2c.retainer.bucket", readonly=True)

    def init(self):
        # A retainer period is opened once, even when two billing runs race.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS q2c_retainer_bucket_period_uniq "
            "ON q2c_retainer_bucket (contract_id, valid_from) WHERE kind = 'period'"
        )
        # A security retainer holds one deposit.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS q2c_retainer_bucket_deposit_uniq "
            "ON q2c_retainer_bucket (contract_id) WHERE kind = 'deposit'"
        )

    @api.depends("amount", "drawdown_ids.amount", "rolled_over_amount", "breakage_amount")
    def _compute_balance(self):
        for bucket in self:
            consumed = sum(bucket.drawdown_ids.mapped("amount"))
            bucket.consumed_amount = bucket.currency_id.round(consumed)
            bucket.balance = bucket.currency_id.round(
                bucket.amount - consumed - bucket.rolled_over_amount - bucket.breakage_amount
            )

    @api.constrains("amount", "valid_from", "expiry")
    def _check_values(self):
        for bucket in self:
            if bucket.currency_id.compare_amounts(bucket.amount, 0.0) < 0:
                raise ValidationError(_("Retainer funds cannot be negative (%s).", bucket.name))
            if bucket.expiry and bucket.expiry < bucket.valid_from:
                raise ValidationError(
                    _("Retainer funds %s expire before they start.", bucket.name)
                )

    def _q2c_guarded_fields(self):
        """Expiry alone closes funds and says what rolled over and what became revenue
        (posted on the contract's chatter)."""
        return super()._q2c_guarded_fields() | {"state", "rolled_over_amount", "breakage_amount"}

    def _expire(self, today):
        """Close the buckets whose expiry is before `today`: roll over or release the rest."""
        buckets = self.search(
            [("state", "in", DRAWABLE_STATES), ("expiry", "<", today)]
        )._expirable()
        for bucket in buckets:
            bucket._expire_one()
        return buckets

    def _expirable(self):
        """The buckets, past their expiry, that may expire now. All of them here; billing
        holds back funds whose period's usage is not billed yet (override to wait longer)."""
        return self

    def _check_transition(self, action):
        for bucket in self:
            if bucket.state not in TRANSITIONS[action].sources:
                raise UserError(_("Retainer funds %s have expired already.", bucket.name))

    def _expire_one(self):
        self.ensure_one()
        self._check_transition("expire")
        contract = self.contract_id
        currency = self.currency_id
        remaining = self.balance
        rollover = 0.0
        if self.kind == "period" and currency.compare_amounts(remaining, 0.0) > 0:
            policy = contract.retainer_rollover_policy
            if policy == "next_period_only":
                rollover = remaining
            elif policy == "capped":
                rollover = min(remaining, contract.retainer_rollover_cap)
        breakage = currency.round(remaining - rollover)
        self._q2c_guarded_write(
            {
                "state": TRANSITIONS["expire"].target,
                "rolled_over_amount": rollover,
                "breakage_amount": breakage,
            }
        )
        if currency.compare_amounts(rollover, 0.0) > 0:
            start = self.expiry + timedelta(days=1)
            end = contract._retainer_period_bounds(start)[1]
            self.create(
                {
                    "contract_id": contract.id,
                    "kind": "rollover",
                    "name": _("Rollover of %s", self.name),
                    "amount": rollover,
                    "valid_from": start,
                    "expiry": end,
                    "source_bucket_id": self.id,
                }
            )
        contract._message_log(
            body=_(
                "Retainer funds %(name)s expired: %(rollover)s rolled over, %(breakage)s "
                "released to revenue.",
                name=self.name,
                rollover=rollover,
                breakage=breakage,
            )
        )
