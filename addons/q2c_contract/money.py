"""Money arithmetic of the billing domain (docs: billing-domain.md, section 0).

Amounts are rounded once, half-up (ties away from zero), at the currency's precision, when they
are computed; the rounded value is used from then on. The arithmetic goes through `Decimal` built
from the shortest representation of each float (`repr`), so that a product such as
95,555.55 x 30% = 28,666.665 is the exact tie it is on paper and not 28,666.66499999... in binary.
Python's built-in `round()` (half-even) is never used.
"""

from decimal import ROUND_HALF_UP, Decimal


def _dec(value):
    return Decimal(repr(float(value or 0.0)))


def _quantum(currency):
    return Decimal(repr(currency.rounding))


def round_half_up(currency, value):
    """`value` (a Decimal or a float) rounded half-up, on its absolute value, to the currency."""
    value = value if isinstance(value, Decimal) else _dec(value)
    quantum = _quantum(currency)
    rounded = (abs(value) / quantum).quantize(Decimal(1), rounding=ROUND_HALF_UP) * quantum
    return float(rounded if value >= 0 else -rounded)


def line_amount(currency, quantity, unit_price):
    """One invoice line: round(quantity x unit price), the only place a line is rounded."""
    return round_half_up(currency, _dec(quantity) * _dec(unit_price))


def percent_of(currency, amount, percent):
    """round(amount x percent / 100): markups, retainage, milestone and acceptance shares."""
    return round_half_up(currency, _dec(amount) * _dec(percent) / Decimal(100))


def prorate(currency, amount, days, period_days):
    """round(amount x days / period_days): a first or last retainer period, by calendar days."""
    if not period_days:
        return 0.0
    return round_half_up(currency, _dec(amount) * Decimal(days) / Decimal(period_days))


def markup_chain(currency, direct, percents):
    """Markups applied in order, each on the running subtotal and rounded at its step.

    Returns the list of markup amounts and the final total, e.g. OH&P 15% then bond 1% on
    11,800.00 gives ([1,770.00, 135.70], 13,705.70) (GC-10).
    """
    running = round_half_up(currency, direct)
    steps = []
    for percent in percents:
        step = percent_of(currency, running, percent)
        steps.append(step)
        running = round_half_up(currency, _dec(running) + _dec(step))
    return steps, running


def nte_adjustment(currency, period_value, cap, billed_to_date, held):
    """The not-to-exceed rule in its default `adjustment` mode (billing-domain.md 1.2).

    Returns a dict with `release` (held amount released, >= 0), `excess` (amount withheld,
    >= 0), `fee_total` (what the invoice bills in fees: value + release - excess), and the new
    `held` balance. The amounts must already be rounded to the currency.
    """
    headroom = max(round_half_up(currency, _dec(cap) - _dec(billed_to_date)), 0.0)
    release = min(held, headroom)
    excess = max(
        round_half_up(currency, _dec(period_value) - (_dec(headroom) - _dec(release))), 0.0
    )
    total = round_half_up(currency, _dec(period_value) + _dec(release) - _dec(excess))
    new_held = round_half_up(currency, _dec(held) - _dec(release) + _dec(excess))
    return {"release": release, "excess": excess, "fee_total": total, "held": new_held}
