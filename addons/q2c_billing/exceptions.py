"""Typed outcomes of billing one contract."""

from odoo.exceptions import UserError


class BillingBlocked(UserError):
    """The contract cannot be invoiced in this run, for a reason a person can fix (no
    customer, no sales journal, an approved entry without a rate, no exchange rate at the
    invoice date). The contract's result shows the message; the other contracts go on."""
