"""The neutral deal of q2c_crm: what every field needs, read exactly. Pure functions, no Odoo.

The deal itself is documented on `q2c.crm.provisioning._apply_deal`; connectors build it in
their own `mapping.py`.
"""

from decimal import Decimal, InvalidOperation

# Billing models whose time is priced at rates (a contract rate card from the deal's products).
RATED_MODELS = ("time_and_materials", "retainer")
# What a contract needs, in the words the integration manager reads.
REQUIRED_FIELDS = {
    "account_name": "account name",
    "currency": "currency",
    "amount": "amount",
    "billing_model": "billing model",
    "start_date": "start date",
    "owner": "owner",
}


def to_decimal(raw):
    """An amount, quantity or price as an exact Decimal (CRMs send strings), or None."""
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def is_blank(deal, key):
    """Whether `deal[key]` says nothing: absent, None, only spaces, or an owner (a dict)
    with neither id nor e-mail."""
    value = deal.get(key)
    if isinstance(value, dict):
        return not (value.get("id") or value.get("email"))
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(deal):
    """The labels of the required fields the deal lacks, in REQUIRED_FIELDS order."""
    deal = {**deal, "account_name": (deal.get("account") or {}).get("name")}
    return [label for key, label in REQUIRED_FIELDS.items() if is_blank(deal, key)]


def is_discounted(line):
    """Whether a line's total is not its quantity times its unit price (a discount)."""
    price = to_decimal(line.get("price") or 0)
    amount = to_decimal(line.get("amount") or 0)
    quantity = to_decimal(line.get("quantity") or 1)
    if None in (price, amount, quantity) or not amount:
        return False
    return abs(price * quantity - amount) >= Decimal("0.01")
