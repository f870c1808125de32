"""The result of rate resolution (see `q2c.contract._resolve_rate`)."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Where a resolved rate comes from, in precedence order (billing-domain.md 1.1).
RATE_SOURCES = [
    ("override_employee", "Override for the employee"),
    ("override_role", "Override for the role"),
    ("contract_employee", "Contract rate card, employee line"),
    ("contract_role", "Contract rate card, role line"),
    ("customer_employee", "Customer rate card, employee line"),
    ("customer_role", "Customer rate card, role line"),
    ("company_default_employee", "Company default rate card, employee line"),
    ("company_default_role", "Company default rate card, role line"),
]


@dataclass(frozen=True)
class RateResolution:
    rate: float
    unit: str
    hours_per_day: float
    source: str
    record: object  # the q2c.rate.override or q2c.rate.card.line that matched

    def quantity(self, hours):
        """Billed quantity for `hours`: hours, or round(hours / hours per day, 2) days."""
        if self.unit != "day":
            return hours
        days = Decimal(repr(float(hours))) / Decimal(repr(float(self.hours_per_day)))
        return float(days.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
