"""Expense re-billing arithmetic (billing-domain.md 1.5), no ORM.

1. cost = round(amount x fx(expense date), 2): done by the model, which knows the rates;
2. cap: billable cost = min(cost, cap); a per-day cap is shared by the receipts of one person
   on one day under one policy line, in order; the excess is non-billable;
3. markup = round(billable cost x markup %, 2), rounded when computed (section 0);
4. billed value = billable cost + markup. Mileage bills quantity x unit rate instead of the
   receipt amount.

Rounding is half-up through `q2c_contract.money`, never Python's `round()`.
"""

from dataclasses import dataclass
from decimal import Decimal

from odoo.addons.q2c_contract.money import line_amount, percent_of, round_half_up

CAP_BASES = [
    ("none", "No cap"),
    ("per_item", "Per item"),
    ("per_day", "Per day (per person)"),
]


@dataclass(frozen=True)
class Policy:
    """A contract's policy for one expense category, in the contract currency."""

    billable: bool = True
    markup_percent: float = 0.0
    cap_basis: str = "none"
    cap_amount: float = 0.0
    unit_rate: float = 0.0

    @property
    def per_day(self):
        return self.billable and self.cap_basis == "per_day"


@dataclass(frozen=True)
class Billing:
    billable_cost: float
    markup_amount: float
    billed_value: float
    non_billable_cost: float


def _dec(value):
    return Decimal(repr(float(value or 0.0)))


def bill(currency, cost, quantity, policy, cap_left=None):
    """The Billing of one expense of `cost` (contract currency, rounded).

    `cap_left`: for a per-day cap, what the day's cap still allows after the receipts
    before this one (None: the full cap)."""
    if not policy.billable:
        return Billing(0.0, 0.0, 0.0, round_half_up(currency, cost))
    base = _dec(line_amount(currency, quantity, policy.unit_rate) if policy.unit_rate else cost)
    cap = None
    if policy.cap_basis == "per_item":
        cap = _dec(policy.cap_amount)
    elif policy.cap_basis == "per_day":
        cap = max(_dec(policy.cap_amount if cap_left is None else cap_left), Decimal(0))
    billable = min(base, cap) if cap is not None else base
    billable = round_half_up(currency, billable)
    markup = percent_of(currency, billable, policy.markup_percent)
    billed = round_half_up(currency, _dec(billable) + _dec(markup))
    excess = max(_dec(cost) - _dec(billable), Decimal(0))
    return Billing(billable, markup, billed, round_half_up(currency, excess))


def allocate_day(currency, cap, consumed, items):
    """Share a per-day cap among `items` in order.

    `consumed`: billable cost already taken by the day's frozen receipts (billed ones, and
    reversals, which give theirs back). `items`: (cost, quantity, policy) in allocation order.
    Returns one Billing per item."""
    left = _dec(cap) - _dec(consumed)
    billings = []
    for cost, quantity, policy in items:
        billing = bill(currency, cost, quantity, policy, cap_left=float(left))
        left -= _dec(billing.billable_cost)
        billings.append(billing)
    return billings
