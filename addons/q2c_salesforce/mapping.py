"""Salesforce Opportunity -> q2c_crm's neutral deal (docs/connectors/salesforce.md, field
mapping). Pure functions, no Odoo: they read the opportunity as the REST query resource
returns it (docs/saas-specs.md 3.5: numbers as JSON numbers, relationships as nested objects,
child relationships as {"totalSize", "done", "records"}) and leave judging the deal to
q2c_crm (`q2c.crm.provisioning._apply_deal` documents the neutral deal and names every field
a contract lacks). A record without its Id is bad data (MappingError).
"""

import re

from odoo.addons.q2c_base.exceptions import MappingError

DEFAULT_WON_STAGE = "Closed Won"
LINE_FIELDS = (
    "Id,Name,Quantity,UnitPrice,TotalPrice,Product2Id,Product2.ProductCode,Description,SortOrder"
)
ACCOUNT_FIELDS = (
    "Account.Id,Account.Name,Account.Phone,Account.Website,Account.BillingStreet,"
    "Account.BillingCity,Account.BillingPostalCode,Account.BillingCountryCode"
)
CONTACT_ROLE_FIELDS = "ContactId,Contact.Name,Contact.Email,Contact.Phone"
# Record ids are 15 or 18 ASCII letters and digits; only their alphabet is checked here (an
# id of another length is simply not found).
_ID = re.compile(r"[a-zA-Z0-9]+")


def is_salesforce_id(value):
    """Whether `value` can be a record id, and so be put in a SOQL literal safely."""
    return isinstance(value, str) and bool(_ID.fullmatch(value))


def notification_opportunity_id(notification):
    """The opportunity id of an Outbound Messaging notification (as the SOAP reader
    stores it: {"fields": {...}}), or None."""
    return (notification.get("fields") or {}).get("Id") or None


def opportunity_fields(billing_model_field=None, start_date_field=None, multi_currency=True):
    """The opportunity's own fields to read besides the standard ones: the system's
    billing-model and start-date fields, and CurrencyIsoCode (multi-currency orgs only)."""
    extra = [name for name in (billing_model_field, start_date_field) if name]
    return [*extra, "CurrencyIsoCode"] if multi_currency else extra


def opportunity_soql(opportunity_id, extra_fields=()):
    """One query for the opportunity with its account, owner, lines and contact roles.

    `opportunity_id` must pass `is_salesforce_id` (it is put in the query as a literal)."""
    if not is_salesforce_id(opportunity_id):
        raise ValueError(f"not a Salesforce id: {opportunity_id!r}")
    own = "".join(f"{name}," for name in extra_fields)
    return (
        f"SELECT Id,Name,StageName,IsWon,Amount,CloseDate,OwnerId,Owner.Email,"
        f"{ACCOUNT_FIELDS},{own}"
        f"(SELECT {LINE_FIELDS} FROM OpportunityLineItems ORDER BY SortOrder),"
        f"(SELECT {CONTACT_ROLE_FIELDS} FROM OpportunityContactRoles) "
        f"FROM Opportunity WHERE Id='{opportunity_id}'"
    )


def is_won(opportunity, won_stage=None):
    """IsWon, or the stage named won (for orgs whose won stage is not flagged)."""
    stage = won_stage or DEFAULT_WON_STAGE
    return bool(opportunity.get("IsWon")) or opportunity.get("StageName") == stage


def map_opportunity(
    opportunity,
    *,
    won_stage=None,
    billing_model_field=None,
    start_date_field=None,
    default_billing_model=None,
):
    """The neutral deal of an opportunity read by `opportunity_soql`. The keyword arguments
    are the connected system's settings."""
    opp = opportunity
    amount = opp.get("Amount")
    return {
        "id": _id(opp, "Opportunity"),
        "name": opp.get("Name"),
        "won": is_won(opp, won_stage),
        "amount": None if amount is None else str(amount),
        "currency": opp.get("CurrencyIsoCode"),
        "billing_model": opp.get(billing_model_field or "") or default_billing_model,
        "start_date": opp.get(start_date_field or "") or opp.get("CloseDate"),
        "owner": map_owner(opp),
        "account": map_account(opp.get("Account")),
        "contacts": [map_contact_role(role) for role in _records(opp, "OpportunityContactRoles")],
        "lines": [map_line(line) for line in _records(opp, "OpportunityLineItems")],
    }


def map_owner(opportunity):
    """{"id", "email"} of the opportunity's owner; {} without OwnerId."""
    if not opportunity.get("OwnerId"):
        return {}
    owner = opportunity.get("Owner") or {}
    return {"id": opportunity["OwnerId"], "email": owner.get("Email")}


def map_account(account):
    account = account or {}
    return {
        "id": account.get("Id"),
        "name": account.get("Name"),
        "phone": account.get("Phone"),
        "website": account.get("Website"),
        "street": account.get("BillingStreet"),
        "city": account.get("BillingCity"),
        "zip": account.get("BillingPostalCode"),
        "country_code": account.get("BillingCountryCode"),
    }


def map_contact_role(role):
    """A contact of the deal from an OpportunityContactRole (its Contact relationship)."""
    contact = role.get("Contact") or {}
    return {
        "id": role.get("ContactId"),
        "name": contact.get("Name"),
        "email": contact.get("Email"),
        "phone": contact.get("Phone"),
    }


def map_line(line):
    product = line.get("Product2") or {}
    return {
        "id": _id(line, "OpportunityLineItem"),
        "name": line.get("Name"),
        "quantity": line.get("Quantity"),
        "price": line.get("UnitPrice"),
        "amount": line.get("TotalPrice"),
        "sku": product.get("ProductCode"),
        "product_id": line.get("Product2Id"),
    }


def _records(opportunity, relationship):
    """The records of a child relationship (null when the opportunity has none)."""
    return (opportunity.get(relationship) or {}).get("records") or []


def _id(record, kind):
    if not isinstance(record, dict) or not record.get("Id"):
        raise MappingError(f"Salesforce {kind} without an Id: {str(record)[:200]}")
    return record["Id"]
